import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real `styxy` binary of this checkout, for the tests that need a process of its own.
public enum StyxyBinary {
    public static let repositoryRoot = Repository.root

    public static let path = repositoryRoot + "/.build/debug/styxy"

    public static func require() throws -> String {
        try #require(access(path, X_OK) == 0, "\(path) is missing: run `swift build --build-tests` first")
        return path
    }
}

/// `python3`, when this machine has one (some tests need a listener in another process).
public enum Python {
    public static let path: String? = {
        let folders = ["/usr/bin", "/usr/local/bin"] + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return folders.map { $0 + "/python3" }.first { access($0, X_OK) == 0 }
    }()
}

/// What a finished command left: its exit status (128+N when killed by signal N) and output.
public struct RunResult: CustomStringConvertible {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var timedOut: Bool

    public var description: String { "exit \(status)\(timedOut ? " (timed out)" : "")\nstdout: \(stdout)\nstderr: \(stderr)" }

    public func json() throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
        return try #require(value as? [String: Any], "not a JSON object: \(stdout)")
    }

    /// `services` of a `resolve --json` report as "service.port_name" → port.
    public func ports() throws -> [String: Int] {
        let services = try #require(try json()["services"] as? [[String: Any]])
        var result: [String: Int] = [:]
        for item in services {
            let name = "\(item["service"] as? String ?? "?").\(item["port_name"] as? String ?? "?")"
            result[name] = item["port"] as? Int
        }
        return result
    }
}

/// A child process started with posix_spawn: output to files, a clean environment, no inherited
/// descriptors. It is killed and reaped when the value goes away, whatever the test did.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private let outPath: String
    private let errPath: String
    public private(set) var status: Int32?

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    private static let closeFrom: CloseFrom? = {
        dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: CloseFrom.self) }
    }()

    private typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32
    private static let changeDirectory: ChangeDirectory? = {
        dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: ChangeDirectory.self) }
    }()

    public init(_ executable: String, _ arguments: [String], environment: [String: String], outputPrefix: String,
                directory: String? = nil) throws {
        outPath = outputPrefix + ".out"
        errPath = outputPrefix + ".err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        _ = Self.closeFrom?(&actions, 3)
        if let directory {
            let change = try #require(Self.changeDirectory, "this C library cannot start a process in another folder")
            #expect(change(&actions, directory) == 0)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child = pid_t()
        let code = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard code == 0 else {
            throw TestSupportError.call("posix_spawn \(executable)", code)
        }
        pid = child
    }

    deinit {
        if status == nil {
            Self.send(SIGKILL, to: pid)
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        }
    }

    /// Reaps the child if it has ended; true once it has.
    @discardableResult
    public func poll() -> Bool {
        if status != nil { return true }
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, WNOHANG)
        guard result == pid else { return false }
        let signal = raw & 0x7f
        status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
        return true
    }

    /// Waits up to `timeout` seconds; a child still running then is killed, and false returned.
    @discardableResult
    public func wait(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !poll() {
            if Date() >= deadline {
                kill()
                while !poll() { usleep(1_000) }
                return false
            }
            usleep(2_000)
        }
        return true
    }

    public func kill(_ signal: Int32 = SIGKILL) {
        if status == nil { Self.send(signal, to: pid) }
    }

    /// The C library's `kill`, which this type's own `kill` hides.
    private static func send(_ signal: Int32, to pid: pid_t) {
        #if canImport(Glibc)
        _ = Glibc.kill(pid, signal)
        #else
        _ = Darwin.kill(pid, signal)
        #endif
    }

    /// What the child printed so far; bytes that are not UTF-8 show as U+FFFD rather than hiding the rest.
    public var stdout: String { String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self) }
    public var stderr: String { String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self) }

    public func result(timedOut: Bool = false) -> RunResult {
        RunResult(status: status ?? -1, stdout: stdout, stderr: stderr, timedOut: timedOut)
    }

    /// Waits until the child printed `text` on stdout (a ready line), or fails after `timeout`.
    public func waitForOutput(_ text: String, timeout: Double = 10) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !stdout.contains(text) {
            try #require(!poll(), "the child ended before printing '\(text)': \(result())")
            try #require(Date() < deadline, "no '\(text)' from the child within \(timeout)s")
            usleep(5_000)
        }
    }
}
