import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// How a run ends, and that stopping leaves no process behind: real processes in a host process.
/// `finish(expecting:)` checks after each that no survivor, no descendant of the host (not even a
/// zombie) and no process a service announced is left.
@Suite("Supervisor endings and stopping")
struct SupervisorStopTests {
    @Test(arguments: [("exit 3", 3), ("kill -KILL $$", 128 + 9)])
    func aServiceExitIsReportedWithItsStatusAndStopsTheOthers(command: String, code: Int32) throws {
        let folder = try TestFolder()
        let host = try HostedProcess.host(["db=exec sleep 600", "web=\(command)"], in: folder)
        try host.finish(expecting: code)
        #expect(host.lines.contains("ending: exited web \(code)"), "\(host.transcript)")
    }

    @Test func grandchildrenThatIgnoreSIGTERMAreKilledAfterTheGracePeriod() throws {
        let folder = try TestFolder()
        let host = try HostedProcess.host([
            "--grace", "0.3",
            #"web=sh -c 'trap "" TERM; echo "grandchild pid $$"; while :; do sleep 1; done' & echo "main pid $$"; wait"#,
        ], in: folder)
        let grandchild = try host.announced("grandchild")
        let report = try host.stop()
        #expect(report.killed.contains(grandchild), "the grandchild ignored SIGTERM, so it needed SIGKILL")
    }

    /// A daemon that double-forks and calls setsid leaves its service's process group and is
    /// orphaned; as the child subreaper, the supervisor becomes its parent and stops it too.
    @Test func aSetsidDaemonIsAdoptedAndStopped() throws {
        let folder = try TestFolder()
        let host = try HostedProcess.host([
            #"web=(setsid sh -c 'echo "daemon pid $$"; exec sleep 600' &); echo "main pid $$"; exec sleep 600"#,
        ], in: folder)
        let daemon = try host.announced("daemon")
        try Self.waitUntil("the daemon is re-parented to the supervisor") { Self.parent(of: daemon) == host.pid }
        #expect(Self.session(of: daemon) == daemon, "the daemon runs in a session of its own")
        let report = try host.stop()
        #expect(!report.killed.contains(daemon), "SIGTERM alone ended it")
    }

    @Test func aDaemonThatIgnoresSIGTERMIsKilledToo() throws {
        let folder = try TestFolder()
        let host = try HostedProcess.host([
            "--grace", "0.3",
            #"web=(setsid sh -c 'trap "" TERM; echo "daemon pid $$"; while :; do sleep 1; done' &); exec sleep 600"#,
        ], in: folder)
        let daemon = try host.announced("daemon")
        #expect(try host.stop().killed.contains(daemon))
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalToTheSupervisorEndsTheRunAndStopsEverything(signal: Int32) throws {
        let folder = try TestFolder()
        let host = try HostedProcess.host([
            #"web=sleep 600 & echo "child pid $!"; echo "main pid $$"; wait"#,
            "db=echo \"db pid $$\"; exec sleep 600",
        ], in: folder)
        _ = try host.announced("child")
        _ = try host.announced("db")
        host.signal(signal)
        let report = try host.finish(expecting: 128 + signal)
        #expect(host.lines.contains("ending: signalled \(signal)"), "\(host.transcript)")
        #expect(report.interruptedBy == nil, "one signal ends the run; it does not cut the grace period")
        #expect(host.announcedPIDs.count == 3, "web, its child, and db: \(host.announcedPIDs)")
    }

    @Test func outputPrintedWhileStoppingIsStillShown() throws {
        let folder = try TestFolder()
        let host = try HostedProcess.host([
            "web=trap 'echo cleaning up; printf unfinished; exit 0' TERM; echo up; sleep 600 & wait",
        ], in: folder)
        try host.waitForLine("web | up")
        try host.stop()
        let lines = host.lines
        let ending = try #require(lines.firstIndex(of: "ending: stopped stop file"), "\(host.transcript)")
        #expect(lines[(ending + 1)...].contains("web | cleaning up"))
        #expect(lines[(ending + 1)...].contains("web | unfinished"), "the partial last line is flushed at the end")
    }

    /// With a grace period of ten minutes, only the second signal can end the host within the test's bound.
    @Test func aSecondSignalWhileStoppingEndsTheGracePeriod() throws {
        let folder = try TestFolder()
        let host = try HostedProcess.host([
            "--grace", "600",
            #"web=sh -c 'trap "" TERM; echo "stubborn pid $$"; while :; do sleep 1; done' & wait"#,
        ], in: folder)
        let stubborn = try host.announced("stubborn")
        host.signal(SIGINT)
        try host.waitForLine("ending: signalled \(SIGINT)")
        host.signal(SIGINT)
        let report = try host.finish(expecting: 128 + SIGINT, timeout: 60)
        #expect(report.killed.contains(stubborn))
        #expect(report.interruptedBy == SIGINT)
    }

    // MARK: - /proc of the test's own processes

    static func statFields(of pid: pid_t) -> [Substring] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return [] }
        return text[text.index(after: close)...].split(separator: " ")
    }

    static func parent(of pid: pid_t) -> pid_t? { statFields(of: pid).dropFirst(1).first.flatMap { pid_t($0) } }
    static func group(of pid: pid_t) -> pid_t? { statFields(of: pid).dropFirst(2).first.flatMap { pid_t($0) } }
    static func session(of pid: pid_t) -> pid_t? { statFields(of: pid).dropFirst(3).first.flatMap { pid_t($0) } }

    /// Re-parenting happens when the daemon's parent exits, which nothing announces; so this
    /// looks again each millisecond, failing after ten seconds.
    static func waitUntil(_ what: String, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(10)
        while !condition() {
            try #require(Date() < deadline, "\(what) did not happen within 10 s")
            usleep(1_000)
        }
    }
}
