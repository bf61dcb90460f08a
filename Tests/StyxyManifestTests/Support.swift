import Foundation
import StyxyCore
@testable import StyxyManifest
import Testing

/// Where the repository and its fixtures are, found from this file so tests run from any folder.
enum Repository {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Support.swift, StyxyManifestTests, Tests
        return url.path
    }()

    static let manifestFixtures = root + "/Tests/Fixtures/manifests"
    static let configFixtures = root + "/Tests/Fixtures/config"
    static let binary = root + "/.build/debug/styxy"

    /// The names in `folder` ending in `suffix`, sorted; empty when the folder is missing (the
    /// tests that use this also check the count, so a missing folder fails rather than passes).
    static func files(in folder: String, endingWith suffix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(suffix) }.sorted()
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// The template names the CLI compiles in (CommandEnvironment.builtinTemplateNames).
let builtinTemplateNames: Set<String> = ["dotenv", "compose-override", "npm-scripts", "json", "shell"]

func builtinLoader() -> ManifestLoader {
    ManifestLoader(catalog: Catalog.builtin(), builtinTemplates: builtinTemplateNames)
}

/// What loading gave: the manifest, or the exit status and rendered diagnostics of the failure.
enum LoadOutcome {
    case loaded(Manifest)
    case failed(StyxyCore.ExitStatus, [String])

    init(_ body: () throws(StyxyError) -> Manifest) {
        do {
            self = .loaded(try body())
        } catch {
            self = .failed(error.exitStatus, error.diagnostics.map(\.rendered))
        }
    }

    var diagnostics: [String] {
        if case .failed(_, let lines) = self { return lines }
        return []
    }
}

/// A readable line diff: common lines prefixed with two spaces, removed with `-`, added with `+`.
func lineDiff(expected: [String], actual: [String]) -> String {
    let n = expected.count, m = actual.count
    // Longest common subsequence table; goldens are a few lines, so quadratic is fine.
    var table = Array(repeating: Array(repeating: 0, count: m + 1), count: n + 1)
    for i in stride(from: n - 1, through: 0, by: -1) {
        for j in stride(from: m - 1, through: 0, by: -1) {
            table[i][j] = expected[i] == actual[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
        }
    }
    var lines: [String] = []
    var i = 0, j = 0
    while i < n || j < m {
        if i < n, j < m, expected[i] == actual[j] {
            lines.append("  \(expected[i])")
            i += 1
            j += 1
        } else if i < n, j == m || table[i + 1][j] >= table[i][j + 1] {
            lines.append("- \(expected[i])")
            i += 1
        } else {
            lines.append("+ \(actual[j])")
            j += 1
        }
    }
    return lines.joined(separator: "\n")
}

/// A temporary folder, removed when the value goes away.
final class TemporaryFolder {
    let path: String

    init(_ label: String = "manifest") throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("styxy-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        // Canonical, so paths compare equal to what the loader resolves with realpath.
        path = base.resolvingSymlinksInPath().path
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        try write(relative, bytes: Array(text.utf8))
    }

    @discardableResult
    func write(_ relative: String, bytes: [UInt8]) throws -> String {
        let url = URL(fileURLWithPath: path).appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Every entry below the folder with its size and modification time, to show nothing changed.
    func snapshot() throws -> [String: String] {
        var result: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: path) else { return result }
        while let relative = walker.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: path + "/" + relative)
            let size = (attributes[.size] as? NSNumber)?.intValue ?? -1
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
            result[relative] = "\(attributes[.type] ?? "?") \(size) \(modified)"
        }
        return result
    }
}
