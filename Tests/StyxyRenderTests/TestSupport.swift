import Foundation
import StyxyCore
import Testing

@testable import StyxyRender

#if canImport(Glibc)
import Glibc
#endif

/// A project folder of its own, removed when the value goes away. Its path is canonical (the
/// writer compares real paths), so tests can compare against it directly.
final class ProjectFolder {
    let path: String

    init() throws {
        let made = NSTemporaryDirectory() + "styxy-render-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: made, withIntermediateDirectories: true)
        path = FileIO.realPath(made)!
    }

    deinit {
        // A test may have made a folder read-only; give it back so it can be removed.
        _ = chmodTree(path)
        try? FileManager.default.removeItem(atPath: path)
    }

    private func chmodTree(_ root: String) -> Bool {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return false }
        chmod(root, 0o755)
        for case let relative as String in walker where FileIO.isDirectory(root + "/" + relative) {
            chmod(root + "/" + relative, 0o755)
        }
        return true
    }

    func file(_ relative: String) -> String { path + "/" + relative }

    func write(_ relative: String, _ bytes: [UInt8]) throws {
        let url = URL(fileURLWithPath: file(relative))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    func write(_ relative: String, _ text: String) throws { try write(relative, Array(text.utf8)) }

    func read(_ relative: String) -> [UInt8]? { try? FileIO.read(file(relative)) }

    func text(_ relative: String) -> String? { read(relative).map { String(decoding: $0, as: UTF8.self) } }

    /// Every entry below the folder, for "nothing was written" checks.
    func listing() -> [String] {
        (FileManager.default.subpaths(atPath: path) ?? []).sorted()
    }

    /// Every file below the folder with its bytes (a link as `-> target`), never following a
    /// link: for "nothing changed anywhere" checks in projects full of hostile links.
    func snapshot() -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        func walk(_ relative: String) {
            let full = relative.isEmpty ? path : file(relative)
            guard let dir = opendir(full) else { return }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name == "." || name == ".." { continue }
                let child = relative.isEmpty ? name : relative + "/" + name
                var info = stat()
                guard lstat(file(child), &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: walk(child)
                case S_IFLNK: result[child] = Array("-> \((try? FileManager.default.destinationOfSymbolicLink(atPath: file(child))) ?? "?")".utf8)
                case S_IFREG: result[child] = read(child) ?? []
                default: result[child] = Array("<special>".utf8)
                }
            }
        }
        walk("")
        return result
    }

    /// Inode and modification time: a rewrite with the same bytes would change both.
    func identity(_ relative: String) -> [Int] {
        var info = stat()
        guard stat(file(relative), &info) == 0 else { return [] }
        return [Int(info.st_ino), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec)]
    }

    func mode(_ relative: String) -> mode_t {
        var info = stat()
        _ = stat(file(relative), &info)
        return info.st_mode & 0o7777
    }
}

/// The error a call throws, or nil (recording an issue) when it succeeds.
func failure<T>(
    _ body: () throws(StyxyError) -> T, sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> StyxyError? {
    do {
        _ = try body()
        Issue.record("expected a failure", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// An external tool's result; nil when the tool is not installed.
struct ToolRun {
    var status: Int32
    var stdout: String
    var stderr: String

    static func run(_ tool: String, _ arguments: [String], stdin: String = "") throws -> ToolRun? {
        guard let executable = which(tool) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ToolRun(
            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self))
    }

    static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(tool)" }.first { access($0, X_OK) == 0 }
    }

    /// True when `python3 -c "import <module>"` works here.
    static func hasPythonModule(_ module: String) -> Bool {
        (try? run("python3", ["-c", "import \(module)"]))??.status == 0
    }

    /// Tests that read outputs with these are reported as skipped where they are missing
    /// (.ci/install-test-tools installs them).
    static let hasPyYAML = hasPythonModule("yaml")
    static let hasPythonDotenv = hasPythonModule("dotenv")
}

/// The source tree, found from this file, for checks against files in the repository.
enum SourceTree {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func path(_ relative: String) -> String { root + "/" + relative }
}

/// A fixed project with one of each kind of service: single- and multi-port, with and without a
/// command, Compose mapping and sharing, and a command that names another service's port.
enum Sample {
    static let context: RenderContext = {
        let declared = RenderContext(
            project: "shop", root: "/home/dev/shop", instance: "default", manifest: "styxy.yaml",
            services: [
                ServiceContext(
                    name: "web", type: "dev", port: 3000, env: ["WEB_PORT"],
                    command: "API_URL=http://localhost:{{API_PORT}} vite --port {{port}} --strictPort"),
                ServiceContext(
                    name: "api", type: "api", port: 8000, env: ["API_PORT", "PORT"],
                    command: #"uvicorn app:main --port {{PORT}} --root-path "/api" --name '{{name}}'"#,
                    compose: ComposeContext(service: "api", target: 8000)),
                ServiceContext(
                    name: "emulators", type: "functions",
                    ports: [
                        NamedPortContext(name: "ui", port: 4000, env: ["EMULATORS_UI_PORT"]),
                        NamedPortContext(
                            name: "firestore", port: 8080, env: ["FIRESTORE_PORT"],
                            compose: ComposeContext(service: "firestore", target: 8080)),
                    ],
                    command: "firebase emulators:start --ui-port {{ports.ui}}"),
                ServiceContext(name: "ollama", type: "ai", port: 11434, env: ["OLLAMA_PORT"], shared: true),
            ])
        return try! declared.expandingCommands()
    }()

    static let empty = RenderContext(
        project: "empty", root: "/home/dev/empty", instance: "default", manifest: "styxy.yaml", services: [])
}

/// Renders a built-in template for the sample project.
func renderBuiltin(_ name: String, _ context: RenderContext = Sample.context) throws -> String {
    try TemplateStore.builtin(name).render(context)
}

/// Parses JSON text into Foundation values.
func parseJSON(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}
