import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An external tool's result; nil when the tool is not installed.
public struct ToolRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public static func run(_ tool: String, _ arguments: [String], stdin: String = "") throws -> ToolRun? {
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

    public static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(tool)" }.first { access($0, X_OK) == 0 }
    }

    /// True when `python3 -c "import <module>"` works here.
    public static func hasPythonModule(_ module: String) -> Bool {
        (try? run("python3", ["-c", "import \(module)"]))??.status == 0
    }

    /// Tests that read outputs with these are reported as skipped where they are missing
    /// (.ci/install-test-tools installs them).
    public static let hasPyYAML = hasPythonModule("yaml")
    public static let hasPythonDotenv = hasPythonModule("dotenv")
}

/// JSON text read by Foundation: a reader independent of Styxy's own, for checking what it writes.
public func parseJSON(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}
