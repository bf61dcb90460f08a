import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `styxy up` through the real binary: it reaps children and handles signals, which only a
/// process of its own may do. Services are real servers (python's http.server) and shell scripts.
@Suite("styxy up", .serialized)
struct UpTests {
    static let server = "PYTHONUNBUFFERED=1 python3 -m http.server {{port}} --bind 127.0.0.1"

    static func manifest(_ block: ClosedRange<Int>, web: String = server, api: String = server, apiAfter: Bool = true) -> String {
        """
        services:
          web:
            range: [\(block.lowerBound), \(block.lowerBound + 4)]
            command: \(web)
          api:
            range: [\(block.lowerBound + 5), \(block.upperBound)]
            command: \(api)
        \(apiAfter ? "    after: [web]" : "")

        """
    }

    /// The PID in a ready line: `styxy: web ready on 3001 (pid 4242, 0.3 s)`.
    static func readyPID(_ output: String, _ service: String) -> pid_t? {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("styxy: \(service) ready on") }),
              let range = line.range(of: "(pid ") else { return nil }
        return pid_t(line[range.upperBound...].prefix { $0.isNumber })
    }

    static func isGone(_ pid: pid_t) -> Bool { kill(pid, 0) != 0 && errno == ESRCH }

    @Test func servicesStartInOrderAreReadyAndCtrlCStopsThemAll() throws {
        try #require(Python.path != nil, "python3 is needed for real servers")
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let path = try s.project("app", Self.manifest(block))
        let up = try s.spawn(["up", "-m", path])
        // Whatever fails below, up is asked to stop its services (a SIGKILL would orphan them).
        defer {
            up.kill(SIGTERM)
            up.wait(timeout: 15)
        }
        try up.waitForOutput("all 2 service(s) ready", timeout: 20)
        let output = up.stdout
        let web = try #require(Self.readyPID(output, "web"), "\(output)")
        let api = try #require(Self.readyPID(output, "api"), "\(output)")
        let webReady = try #require(output.range(of: "styxy: web ready on \(block.lowerBound)"), "\(output)")
        let apiStarted = try #require(output.range(of: "api | "), "\(output)")
        #expect(webReady.upperBound < apiStarted.lowerBound, "api is after web: it starts once web is ready\n\(output)")
        #expect(output.contains("web | ") && output.contains("\(block.lowerBound + 5)"), "\(output)")

        up.kill(SIGINT)
        #expect(up.wait(timeout: 20))
        #expect(up.status == 130, "\(up.result())")
        #expect(Self.isGone(web) && Self.isGone(api), "no service outlives up")
    }

    @Test func aCommandThatIgnoresItsPortIsStoppedWithTheReason() throws {
        try #require(Python.path != nil)
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        // web binds a fixed port of the block instead of its leased one.
        let path = try s.project("app", Self.manifest(block, web: "python3 -m http.server \(block.upperBound) --bind 127.0.0.1", apiAfter: true))
        let result = try s.runProcess(["up", "-m", path], timeout: 30)
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("web listens on \(block.upperBound), not on its leased port \(block.lowerBound): its command ignores the port"),
                "\(result)")
        #expect(!result.stdout.contains("api | "), "api waits for web, which never became ready")
    }

    @Test func anyServiceExitingStopsTheOthersWithItsStatus() throws {
        try #require(Python.path != nil)
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let marker = s.root + "/api.pid"
        // api leaves a grandchild that ignores SIGTERM, then exits 3 once web is up.
        let api = #"sh -c 'trap "" TERM; exec sleep 60' & echo $! > \#(marker); sleep 0.5; exit 3"#
        let path = try s.project("app", Self.manifest(block, api: api))
        let started = Date()
        let result = try s.runProcess(["up", "-m", path], timeout: 30)
        #expect(result.status == 3, "\(result)")
        #expect(result.stdout.contains("api exited with status 3"), "\(result)")
        let web = try #require(Self.readyPID(result.stdout, "web"), "\(result)")
        let grandchild = try #require(pid_t((try? String(contentsOfFile: marker, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
        #expect(Self.isGone(web), "web was stopped")
        #expect(Self.isGone(grandchild), "a grandchild that ignores SIGTERM is killed after the grace period")
        #expect(Date().timeIntervalSince(started) >= 5, "the grace period is waited out for the stubborn grandchild")
    }

    @Test func aForeignHolderIsRefusedBeforeAnythingStarts() throws {
        try #require(Python.path != nil)
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let marker = s.root + "/started"
        let path = try s.project("app", Self.manifest(block, web: "touch \(marker); " + Self.server, apiAfter: false))
        let port = try s.resolve(path)["web.default"] ?? 0
        let foreign = try s.python(Sandbox.listenScript(port: port), cwd: s.userHome)
        defer { foreign.kill() }
        let result = try s.runProcess(["up", "-m", path], timeout: 30)
        #expect(result.status == 1 && result.stderr.contains("port \(port) of web is held by PID \(foreign.pid)"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: marker), "nothing was started")
    }

    @Test func aServiceThatNeverListensTimesOut() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let path = try s.project("app", Self.manifest(block, web: "exec sleep 60", api: "exec sleep 60", apiAfter: false))
        let result = try s.runProcess(["up", "-m", path, "--ready-timeout", "1s", "web"], timeout: 30)
        #expect(result.status == 1 && result.stdout.contains("web is not listening on \(block.lowerBound) after"), "\(result)")
        #expect(!result.stdout.contains("api"), "only the named service (and what it is after) starts")
    }
}
