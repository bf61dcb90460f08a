import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One test's folders: a private state home (0700), a HOME, and project folders, all under a
/// fresh temporary folder that is removed afterwards. Commands run with a clean environment.
public final class Sandbox: @unchecked Sendable {
    public let root: String
    public let home: String
    public let userHome: String
    private let folder: TemporaryFolder
    private let counter = NSLock()
    private var serial = 0
    /// The clock in-process commands read: today, standing still until a test moves it, so TTLs
    /// lapse without sleeping.
    public let clock = TestClock(Int64(Date().timeIntervalSince1970))

    public init() throws {
        folder = try TemporaryFolder("cli")
        root = folder.path
        home = root + "/state"
        userHome = root + "/home"
        #expect(mkdir(home, 0o700) == 0 && mkdir(userHome, 0o700) == 0 && mkdir(root + "/projects", 0o755) == 0
                && mkdir(root + "/logs", 0o700) == 0)
        // The classifier treats a holder whose folder is inside a project as that project's own.
        let cwd = FileManager.default.currentDirectoryPath
        #expect(!cwd.hasPrefix(root), "the test process must not run inside its projects")
    }

    deinit {
        // A test may have handed the state home to another user (as root); the folder's own
        // removal restores modes, not owners.
        chown(home, geteuid(), getegid())
    }

    public var ledgerPath: String { home + "/ledger.json" }
    public var lockPath: String { home + "/ledger.lock" }

    public var environment: [String: String] {
        [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": userHome, "STYXY_HOME": home, "NO_COLOR": "1", "LANG": "C.UTF-8",
        ]
    }

    public func projectRoot(_ name: String) -> String { root + "/projects/" + name }

    /// Writes `projects/<name>/styxy.yaml` and returns its path.
    @discardableResult
    public func project(_ name: String, _ yaml: String) throws -> String {
        let directory = projectRoot(name)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/styxy.yaml"
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func nextLog() -> String {
        counter.withLock { serial += 1; return root + "/logs/\(serial)" }
    }

    /// Starts `styxy ARGS` and returns at once.
    public func spawn(_ arguments: [String], environment extra: [String: String] = [:], in directory: String? = nil) throws -> ChildProcess {
        try ChildProcess(try StyxyBinary.require(), arguments, environment: environment.merging(extra) { $1 }, outputPrefix: nextLog(),
                         directory: directory)
    }

    /// Runs `styxy ARGS` in a process of its own to the end (killed after `timeout` seconds): for
    /// what only a process shows (exec, signals, hangs, the completion scripts' calls). The
    /// environment is built from scratch: no STYXY_CONFIG, no XDG folders, HOME and STYXY_HOME
    /// private to the test. `run` runs the same command in this process.
    @discardableResult
    public func runProcess(_ arguments: [String], environment extra: [String: String] = [:], in directory: String? = nil,
                           timeout: Double = 30) throws -> RunResult {
        let child = try spawn(arguments, environment: extra, in: directory)
        let finished = child.wait(timeout: timeout)
        #expect(finished, "styxy \(arguments.joined(separator: " ")) did not finish within \(timeout)s")
        return child.result(timedOut: !finished)
    }

    /// `styxy resolve -m MANIFEST --json ...`, required to exit 0; returns its ports.
    public func resolve(_ manifest: String, _ extra: [String] = []) throws -> [String: Int] {
        let result = try run(["resolve", "-m", manifest, "--json"] + extra)
        try #require(result.status == 0, "\(result)")
        return try result.ports()
    }

    /// Every lease, through `lease ls --json` (required to exit 0).
    public func leases() throws -> [[String: Any]] {
        let result = try run(["lease", "ls", "--json"])
        try #require(result.status == 0, "\(result)")
        let json = try result.json()
        #expect(json["format_version"] as? Int == 1)
        return try #require(json["leases"] as? [[String: Any]])
    }

    public func ledgerBytes() -> Data? { FileManager.default.contents(atPath: ledgerPath) }

    /// The names in the state home.
    public func stateFiles() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: home)) ?? ["<unreadable>"] }

    /// A python3 script that listens on `host`:`port` (IPv6-only when `ipv6`), says "ready" and waits.
    public static func listenScript(port: Int, host: String = "127.0.0.1", ipv6: Bool = false) -> String {
        """
        import socket, time
        s = socket.socket(socket.AF_INET6 if \(ipv6 ? "True" : "False") else socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if \(ipv6 ? "True" : "False"): s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind(('\(host)', \(port)))
        s.listen(8)
        print('ready', flush=True)
        time.sleep(120)
        """
    }

    /// Starts a python3 child running `script` from the folder `cwd`; it must print "ready".
    public func python(_ script: String, cwd: String) throws -> ChildProcess {
        let python = try #require(Python.path)
        let child = try ChildProcess(python, ["-c", "import os; os.chdir(\(pythonString(cwd)))\n" + script],
                                     environment: ["PATH": "/usr/bin:/bin", "HOME": userHome], outputPrefix: nextLog())
        try child.waitForOutput("ready")
        return child
    }
}

public func pythonString(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
}

/// `{"a": 1}` style lookups on lease dictionaries.
extension Dictionary where Key == String, Value == Any {
    public var port: Int? { self["port"] as? Int }
    public var service: String { self["service"] as? String ?? "" }
    public var root: String { self["root"] as? String ?? "" }
}
