import Foundation
@testable import StyxyCLI
import StyxyEngine
import StyxyKit
import StyxyProbe
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `styxy` binary, found from this file: <root>/Tests/StyxyCLITests/CLISupport.swift.
enum StyxyBinary {
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let path = repositoryRoot + "/.build/debug/styxy"

    static func require() throws -> String {
        try #require(access(path, X_OK) == 0, "\(path) is missing: run `swift build --build-tests` first")
        return path
    }
}

/// `python3`, when this machine has one (some tests need a listener in another process).
enum Python {
    static let path: String? = {
        let folders = ["/usr/bin", "/usr/local/bin"] + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return folders.map { $0 + "/python3" }.first { access($0, X_OK) == 0 }
    }()
}

// MARK: - Processes

/// What a finished command left: its exit status (128+N when killed by signal N) and output.
struct RunResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool

    var description: String { "exit \(status)\(timedOut ? " (timed out)" : "")\nstdout: \(stdout)\nstderr: \(stderr)" }

    func json() throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
        return try #require(value as? [String: Any], "not a JSON object: \(stdout)")
    }

    /// `services` of a `resolve --json` report as "service.port_name" → port.
    func ports() throws -> [String: Int] {
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
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    private let outPath: String
    private let errPath: String
    private(set) var status: Int32?

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    private static let closeFrom: CloseFrom? = {
        dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: CloseFrom.self) }
    }()

    private typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32
    private static let changeDirectory: ChangeDirectory? = {
        dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: ChangeDirectory.self) }
    }()

    init(_ executable: String, _ arguments: [String], environment: [String: String], outputPrefix: String,
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
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "posix_spawn \(executable): \(String(cString: strerror(code)))"])
        }
        pid = child
    }

    deinit {
        if status == nil {
            Glibc.kill(pid, SIGKILL)
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        }
    }

    /// Reaps the child if it has ended; true once it has.
    @discardableResult
    func poll() -> Bool {
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
    func wait(timeout: Double) -> Bool {
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

    func kill(_ signal: Int32 = SIGKILL) {
        if status == nil { Glibc.kill(pid, signal) }
    }

    var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

    func result(timedOut: Bool = false) -> RunResult {
        RunResult(status: status ?? -1, stdout: stdout, stderr: stderr, timedOut: timedOut)
    }

    /// Waits until the child printed `text` on stdout (a ready line), or fails after `timeout`.
    func waitForOutput(_ text: String, timeout: Double = 10) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !stdout.contains(text) {
            try #require(!poll(), "the child ended before printing '\(text)': \(result())")
            try #require(Date() < deadline, "no '\(text)' from the child within \(timeout)s")
            usleep(5_000)
        }
    }
}

// MARK: - A private world per test

/// One test's folders: a private state home (0700), a HOME, and project folders, all under a
/// fresh temporary folder that is removed afterwards. Commands run with a clean environment.
final class Sandbox: @unchecked Sendable {
    let root: String
    let home: String
    let userHome: String
    private let counter = NSLock()
    private var serial = 0
    /// The clock in-process commands read; the wall clock unless a test moves one by hand.
    let clock = TestClock()

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/styxy-cli-XXXXXX").utf8CString)
        let made = try #require(mkdtemp(&template).map { String(cString: $0) }, "mkdtemp failed")
        root = try #require(realpath(made, nil).map { pointer in defer { free(pointer) }; return String(cString: pointer) })
        home = root + "/state"
        userHome = root + "/home"
        #expect(mkdir(home, 0o700) == 0 && mkdir(userHome, 0o700) == 0 && mkdir(root + "/projects", 0o755) == 0
                && mkdir(root + "/logs", 0o700) == 0)
        // The classifier treats a holder whose folder is inside a project as that project's own.
        let cwd = FileManager.default.currentDirectoryPath
        #expect(!cwd.hasPrefix(root), "the test process must not run inside its projects")
    }

    deinit {
        chmod(home, 0o700)
        chown(home, geteuid(), getegid())
        try? FileManager.default.removeItem(atPath: root)
    }

    var ledgerPath: String { home + "/ledger.json" }
    var lockPath: String { home + "/ledger.lock" }

    var environment: [String: String] {
        [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": userHome, "STYXY_HOME": home, "NO_COLOR": "1", "LANG": "C.UTF-8",
        ]
    }

    func projectRoot(_ name: String) -> String { root + "/projects/" + name }

    /// Writes `projects/<name>/styxy.yaml` and returns its path.
    @discardableResult
    func project(_ name: String, _ yaml: String) throws -> String {
        let folder = projectRoot(name)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/styxy.yaml"
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func nextLog() -> String {
        counter.withLock { serial += 1; return root + "/logs/\(serial)" }
    }

    /// Starts `styxy ARGS` and returns at once.
    func spawn(_ arguments: [String], environment extra: [String: String] = [:], in directory: String? = nil) throws -> ChildProcess {
        try ChildProcess(try StyxyBinary.require(), arguments, environment: environment.merging(extra) { $1 }, outputPrefix: nextLog(),
                         directory: directory)
    }

    /// Runs `styxy ARGS` in a separate process to the end (killed after `timeout` seconds): for
    /// what only a process shows (exec, signals, exit statuses of a real `main`). The environment
    /// is built from scratch: no STYXY_CONFIG, no XDG folders, HOME and STYXY_HOME private to the test.
    @discardableResult
    func runProcess(_ arguments: [String], environment extra: [String: String] = [:], in directory: String? = nil,
                    timeout: Double = 30) throws -> RunResult {
        let child = try spawn(arguments, environment: extra, in: directory)
        let finished = child.wait(timeout: timeout)
        #expect(finished, "styxy \(arguments.joined(separator: " ")) did not finish within \(timeout)s")
        return child.result(timedOut: !finished)
    }

    /// Runs `styxy ARGS` in this process, through the same entry point as the binary, with the
    /// same scratch environment as `runProcess`, the real port probe, and `directory` (default: the
    /// test process's folder) as the working folder. `run`'s command is started as a child and
    /// waited for, its output collected and its status returned, instead of replacing the process.
    @discardableResult
    func run(_ arguments: [String], environment extra: [String: String] = [:], in directory: String? = nil,
             clock: (@Sendable () -> Int64)? = nil) throws -> RunResult {
        let variables = environment.merging(extra) { $1 }
        let (out, err) = (TextBuffer(), TextBuffer())
        let logs = nextLog()
        let launch: CommandContext.Launcher = { plan, _ in
            var childEnvironment = variables
            for (name, value) in plan.variables { childEnvironment[name] = value }
            // `env` looks the command up on PATH, as execvp would, and exits 127 when it is missing.
            guard let child = try? ChildProcess("/usr/bin/env", plan.arguments, environment: childEnvironment, outputPrefix: logs + "-run",
                                                directory: plan.directory ?? directory) else { return 126 }
            child.wait(timeout: 60)
            out.append(child.stdout)
            err.append(child.stderr)
            return child.status ?? 126
        }
        let context = CommandContext(
            environment: StyxyEnvironment(variables: variables, workingDirectory: directory ?? FileManager.default.currentDirectoryPath,
                                          probe: LinuxPortProbe(), clock: clock ?? self.clock.now),
            out: Terminal(buffer: out), err: Terminal(buffer: err), launch: launch)
        // On a thread of its own with a main thread's stack: test-pool threads have small stacks,
        // and hostile templates are rendered close to the depth the binary allows.
        let finished = DispatchSemaphore(value: 0)
        let status = Mutex<Int32>(-1)
        let thread = Thread {
            status.withLock { $0 = Styxy.main(arguments, context: context) }
            finished.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        finished.wait()
        return RunResult(status: status.withLock { $0 }, stdout: out.text, stderr: err.text, timedOut: false)
    }

    /// `styxy resolve -m MANIFEST --json ...`, required to exit 0; returns its ports.
    func resolve(_ manifest: String, _ extra: [String] = []) throws -> [String: Int] {
        let result = try run(["resolve", "-m", manifest, "--json"] + extra)
        try #require(result.status == 0, "\(result)")
        return try result.ports()
    }

    /// Every lease, through `lease ls --json` (required to exit 0).
    func leases() throws -> [[String: Any]] {
        let result = try run(["lease", "ls", "--json"])
        try #require(result.status == 0, "\(result)")
        let json = try result.json()
        #expect(json["format_version"] as? Int == 1)
        return try #require(json["leases"] as? [[String: Any]])
    }

    func ledgerBytes() -> Data? { FileManager.default.contents(atPath: ledgerPath) }

    /// The names in the state home.
    func stateFiles() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: home)) ?? ["<unreadable>"] }

    /// A python3 script that listens on `host`:`port` (IPv6-only when `ipv6`), says "ready" and waits.
    static func listenScript(port: Int, host: String = "127.0.0.1", ipv6: Bool = false) -> String {
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
    func python(_ script: String, cwd: String) throws -> ChildProcess {
        let python = try #require(Python.path)
        let child = try ChildProcess(python, ["-c", "import os; os.chdir(\(pythonString(cwd)))\n" + script],
                                     environment: ["PATH": "/usr/bin:/bin", "HOME": userHome], outputPrefix: nextLog())
        try child.waitForOutput("ready")
        return child
    }
}

func pythonString(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
}

/// A clock a test moves by hand: it reads the wall clock plus whatever the test added, so TTLs
/// lapse without sleeping.
final class TestClock: Sendable {
    private let offset = Mutex<Int64>(0)

    func advance(seconds: Int64) { offset.withLock { $0 += seconds } }

    @Sendable func now() -> Int64 { Timestamp.now() + offset.withLock { $0 } }
}

/// `{"a": 1}` style lookups on lease dictionaries.
extension Dictionary where Key == String, Value == Any {
    var port: Int? { self["port"] as? Int }
    var service: String { self["service"] as? String ?? "" }
    var root: String { self["root"] as? String ?? "" }
}

// MARK: - Ports the test controls

/// Blocks of ports that no other test uses, each checked free before use: not in any socket
/// table (any state) and bindable on both wildcard addresses. A block is made of 10-port chunks,
/// each claimed with a flock on a file in the temporary folder that is held until this process
/// ends, so concurrent test runs (other engineers', other processes) never share a block either.
/// (100-port chunks ran the 16,000-port window dry once a hundred small blocks were held, and the
/// kill -9 test's 416 ports then found no room.)
/// Blocks stay outside the kernel's ephemeral range, where outgoing connections take ports.
enum PortBlocks {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var claims: [Int32] = []
    private static let folder: String = {
        let path = NSTemporaryDirectory() + "/styxy-test-port-claims-\(chunkSize)"
        mkdir(path, 0o700)
        return path
    }()

    static let chunkSize = 10

    static func reserve(_ size: Int) throws -> ClosedRange<Int> {
        // 15000-30999 unless the ephemeral range covers it; then below or above that range.
        var windows = [15_000...30_999]
        if let ephemeral = ephemeralRange(), ephemeral.overlaps(windows[0]) {
            windows = []
            if ephemeral.lowerBound - 10_000 > size * 4 { windows.append(10_000...(ephemeral.lowerBound - 1)) }
            if 65_000 - ephemeral.upperBound > size * 4 { windows.append((ephemeral.upperBound + 1)...65_000) }
            if windows.isEmpty { windows = [15_000...30_999] }  // explicit ranges may use ephemeral ports
        }
        let chunks = (size + chunkSize - 1) / chunkSize
        for _ in 0..<300 {
            let window = windows.randomElement()!
            let first = (window.lowerBound + chunkSize - 1) / chunkSize, last = (window.upperBound + 1 - chunks * chunkSize) / chunkSize
            guard first <= last else { continue }
            let chunk = Int.random(in: first...last)
            let block = (chunk * chunkSize)...(chunk * chunkSize + size - 1)
            guard let held = claim(chunks: chunk..<(chunk + chunks)) else { continue }
            let used = portsInSocketTables()
            if block.allSatisfy({ !used.contains($0) && canBind($0, ipv6: false) && canBind($0, ipv6: true) }) {
                lock.withLock { claims += held }
                return block
            }
            held.forEach { close($0) }
        }
        throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "no free block of \(size) ports"])
    }

    /// flocks every chunk's file, or none.
    private static func claim(chunks: Range<Int>) -> [Int32]? {
        var held: [Int32] = []
        for chunk in chunks {
            let fd = open(folder + "/\(chunk)", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                if fd >= 0 { close(fd) }
                held.forEach { close($0) }
                return nil
            }
            held.append(fd)
        }
        return held
    }

    static func ephemeralRange() -> ClosedRange<Int>? {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8) else { return nil }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
        return parts.count == 2 && parts[0] <= parts[1] ? parts[0]...parts[1] : nil
    }

    /// (local port, state) of every socket in /proc/net/<tables>; state 0A is LISTEN, 06 TIME_WAIT.
    static func sockets(_ tables: [String] = ["tcp", "tcp6", "udp", "udp6"]) -> [(port: Int, state: Substring)] {
        tables.flatMap { table in
            ((try? String(contentsOfFile: "/proc/net/" + table, encoding: .utf8)) ?? "").split(separator: "\n").dropFirst().compactMap { line in
                let fields = line.split(separator: " ")
                guard fields.count > 3, let colon = fields[1].lastIndex(of: ":"),
                      let port = Int(fields[1][fields[1].index(after: colon)...], radix: 16) else { return nil }
                return (port, fields[3])
            }
        }
    }

    static func portsInSocketTables() -> Set<Int> { Set(sockets().map(\.port)) }

    static func hasTimeWait(_ port: Int) -> Bool { sockets(["tcp", "tcp6"]).contains { $0.port == port && $0.state == "06" } }

    static func canBind(_ port: Int, ipv6: Bool) -> Bool {
        if ipv6 && !TestListener.ipv6Available { return true }
        return (try? TestListener(port: port, address: ipv6 ? .any6 : .any4, listen: false)) != nil
    }
}

/// A TCP socket the test process opens itself (close-on-exec, so children never inherit it).
final class TestListener: @unchecked Sendable {
    enum Address: String, CustomStringConvertible, CaseIterable {
        case loopback4 = "127.0.0.1", any4 = "0.0.0.0", loopback6 = "::1", any6 = "::"
        var isIPv6: Bool { self == .loopback6 || self == .any6 }
        var description: String { rawValue }
    }

    private(set) var fd: Int32
    let port: Int

    static let ipv6Available = (try? TestListener(port: 0, address: .loopback6, listen: false)) != nil

    /// IPv6 sockets are v6-only, so an IPv6 listener never covers IPv4 and the reverse.
    init(port: Int, address: Address, listen shouldListen: Bool = true, reuseAddress: Bool = true) throws {
        self.port = port
        fd = socket(address.isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Self.failure("socket") }
        var one: Int32 = 1
        if reuseAddress { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4) }
        var bound: Int32
        if address.isIPv6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, 4)
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = UInt16(port).bigEndian
            a.sin6_addr = address == .any6 ? in6addr_any : in6addr_loopback
            bound = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var a = Self.ipv4(port, any: address == .any4)
            bound = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        if bound == 0 && shouldListen { bound = Glibc.listen(fd, 16) }
        if bound != 0 {
            let error = Self.failure("bind/listen \(address):\(port)")
            close()
            throw error
        }
    }

    private init(fd: Int32, port: Int) {
        self.fd = fd
        self.port = port
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    static func ipv4(_ port: Int, any: Bool) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = UInt16(port).bigEndian
        a.sin_addr = in_addr(s_addr: any ? INADDR_ANY : UInt32(0x7F00_0001).bigEndian)
        return a
    }

    static func failure(_ call: String) -> Error {
        CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "\(call): \(String(cString: strerror(errno)))"])
    }

    /// Leaves a TCP connection in TIME_WAIT on `port`: the accepted (server) side closes first.
    /// The listener sets SO_REUSEADDR when `reuseAddress`, and the accepted socket inherits it.
    static func makeTimeWait(port: Int, reuseAddress: Bool) throws {
        let listener = try TestListener(port: port, address: .loopback4, reuseAddress: reuseAddress)
        defer { listener.close() }
        let client = TestListener(fd: socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0), port: 0)
        defer { client.close() }
        var a = ipv4(port, any: false)
        let connected = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { throw failure("connect") }
        let server = accept(listener.fd, nil, nil)
        guard server >= 0 else { throw failure("accept") }
        Glibc.close(server)
        var byte: UInt8 = 0
        _ = recv(client.fd, &byte, 1, 0)  // the server's FIN
        client.close()
        let deadline = Date().addingTimeInterval(5)
        while !PortBlocks.hasTimeWait(port) {
            guard Date() < deadline else { throw failure("no TIME_WAIT appeared on \(port)") }
            usleep(5_000)
        }
    }
}
