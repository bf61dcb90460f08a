import Foundation
import StyxyCore
@testable import StyxyProcess
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A process the test starts (through the supervisor's own spawner, so in a process group of its
/// own and with stdin from /dev/null), its stdout read as lines. Whatever the test did, it is
/// ended and reaped when the value goes away, and so is every PID it printed as `pid N`: the
/// processes a test's services start announce themselves that way, so a failed test leaves none
/// behind.
final class HostedProcess {
    let pid: pid_t
    private let output: Int32
    private let errors: Int32
    private var bytes: [UInt8] = []
    private var closed = false
    private(set) var status: Int32?

    /// SupervisorTestHost, built beside the test bundle.
    static let hostPath: String = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return (executable as NSString).deletingLastPathComponent + "/SupervisorTestHost"
    }()

    /// The file whose creation ends a host's run (see `stop`).
    private var stopFile: String?

    /// Starts SupervisorTestHost with `arguments`, in `folder`.
    static func host(_ arguments: [String], in folder: TestFolder) throws -> HostedProcess {
        try #require(access(hostPath, X_OK) == 0, "\(hostPath) is missing: run `swift build --build-tests` first")
        let stopFile = folder.path + "/stop-\(UUID().uuidString)"
        let host = try HostedProcess(([hostPath, "--stop-file", stopFile] + arguments).map(Quoting.shell).joined(separator: " "), in: folder)
        host.stopFile = stopFile
        return host
    }

    /// Runs `exec COMMAND` in `/bin/sh`, so the process is the command itself.
    init(_ command: String, in folder: TestFolder) throws {
        let spec = ProcessSpec(
            name: "test", command: "exec " + command,
            environment: ["PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"], workingDirectory: folder.path)
        let process = try Spawner.spawn(spec)
        pid = process.pid
        output = process.outputs[0]
        errors = process.outputs[1]
    }

    deinit {
        if status == nil {
            // A host stops its services on SIGTERM (its group is itself alone; a plain shell's group
            // holds its background children). Keep reading meanwhile, or it could block on a full pipe.
            kill(-pid, SIGTERM)
            if (try? waitForExit(timeout: 20)) == nil {
                kill(-pid, SIGKILL)
                var raw: Int32 = 0
                while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
            }
        }
        for announced in announcedPIDs { kill(announced, SIGKILL) }
        close(output)
        close(errors)
    }

    /// Every complete line printed so far.
    var lines: [String] {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.components(separatedBy: "\n")
        lines.removeLast()  // the part after the last newline: empty, or a line still being written
        return lines
    }

    /// What the process wrote to stderr so far (a few lines at most, or its writes would block).
    var stderr: String {
        var text: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(errors, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            text += chunk[0..<n]
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Every number printed after `pid ` on any line.
    var announcedPIDs: Set<pid_t> {
        var found = Set<pid_t>()
        for line in lines {
            var rest = line[...]
            while let range = rest.range(of: "pid ") {
                let digits = rest[range.upperBound...].prefix { $0.isNumber }
                if let pid = pid_t(digits) { found.insert(pid) }
                rest = rest[range.upperBound...]
            }
        }
        return found
    }

    /// Reads until a line satisfies `test`, and returns it. Fails when the process ends first or
    /// after `timeout` seconds (a bound for a broken test, never a way to wait).
    @discardableResult
    func waitForLine(timeout: Double = 30, _ what: String, where test: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let line = lines.first(where: test) { return line }
            try #require(!closed, "the host ended before printing \(what): \(transcript)")
            try #require(Date() < deadline, "no \(what) within \(timeout) s: \(transcript)")
            readOnce(until: deadline)
        }
    }

    func waitForLine(_ text: String, timeout: Double = 30) throws {
        try waitForLine(timeout: timeout, "'\(text)'") { $0 == text }
    }

    /// The PID a service printed as `WHAT pid N`, once it has.
    func announced(_ what: String) throws -> pid_t {
        let marker = "| \(what) pid "
        let line = try waitForLine("'\(what) pid'") { $0.contains(marker) }
        return try #require(line.range(of: marker).flatMap { pid_t(line[$0.upperBound...]) }, "\(line)")
    }

    /// Reads to the end of output and reaps the process; returns its exit status (128+N for signal N).
    @discardableResult
    func waitForExit(timeout: Double = 30) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while !closed {
            try #require(Date() < deadline, "the host did not end within \(timeout) s: \(transcript)")
            readOnce(until: deadline)
        }
        // The end of output is the process's exit: nothing else holds its stdout.
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let signal = raw & 0x7f
        let result = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
        status = result
        return result
    }

    /// The host's last line, `stopped: killed [1,2] survivors [] left [] interrupted by 2`.
    struct Report {
        var killed: Set<pid_t>
        var survivors: Set<pid_t>
        var left: Set<pid_t>
        var interruptedBy: Int32?
    }

    /// Waits for the host to end with `status`, and returns its report after checking that the
    /// supervisor left nothing behind: no survivor, no descendant (not even a zombie), and none of
    /// the processes the test's services announced.
    @discardableResult
    func finish(expecting expected: Int32, timeout: Double = 30) throws -> Report {
        #expect(try waitForExit(timeout: timeout) == expected, "\(transcript)")
        let line = try #require(lines.last(where: { $0.hasPrefix("stopped: ") }), "no report: \(transcript)")
        func pids(_ list: String) -> Set<pid_t> {
            guard let start = line.range(of: list + " [") else { return [-1] }
            return Set(line[start.upperBound...].prefix { $0 != "]" }.split(separator: ",").compactMap { pid_t($0) })
        }
        let interrupted = line.range(of: "interrupted by ").flatMap { Int32(line[$0.upperBound...]) }
        let report = Report(killed: pids("killed"), survivors: pids("survivors"), left: pids("left"), interruptedBy: interrupted)
        #expect(report.survivors.isEmpty && report.left.isEmpty, "\(line)")
        for pid in announcedPIDs { #expect(!processExists(pid), "process \(pid) outlived the supervisor") }
        return report
    }

    /// Asks the host's tick to end the run, and finishes as `finish(expecting: 0)` does.
    @discardableResult
    func stop() throws -> Report {
        let file = try #require(stopFile, "not a host")
        #expect(FileManager.default.createFile(atPath: file, contents: Data()))
        return try finish(expecting: 0)
    }

    func signal(_ number: Int32) {
        if status == nil { kill(pid, number) }
    }

    var transcript: String { "\nstdout:\n\(String(decoding: bytes, as: UTF8.self))\nstderr:\n\(stderr)" }

    private func readOnce(until deadline: Date) {
        var ready = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
        let wait = max(1, Int32(min(deadline.timeIntervalSinceNow, 1) * 1000))
        guard poll(&ready, 1, wait) > 0 else { return }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
        if n > 0 { bytes += chunk[0..<n] } else if n == 0 || errno != EINTR { closed = true }
    }
}

/// A temporary folder, removed with everything in it when the value goes away.
final class TestFolder {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/styxy-process-XXXXXX").utf8CString)
        let made = try #require(mkdtemp(&template).map { String(cString: $0) }, "mkdtemp failed")
        path = try #require(FileIO.realPath(made))
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Whether a process with this PID exists (a zombie counts).
func processExists(_ pid: pid_t) -> Bool {
    kill(pid, 0) == 0 || errno == EPERM
}
