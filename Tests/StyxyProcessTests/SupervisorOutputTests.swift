import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What the services print, as the supervisor shows it: real processes in a host process.
@Suite("Supervisor output")
struct SupervisorOutputTests {
    @Test func prefixesAreAlignedAndCoverStdoutAndStderr() throws {
        let folder = try TestFolder()
        let host = try HostedProcess.host([
            "web=echo to stdout; echo to stderr >&2; exec sleep 600",
            "api-gateway=echo ready; exec sleep 600",
        ], in: folder)
        try host.waitForLine("web         | to stdout")
        try host.waitForLine("web         | to stderr")
        try host.waitForLine("api-gateway | ready")
        try host.stop()
        #expect(host.lines.contains("ending: stopped stop file"))
    }

    @Test func colourIsPerServiceAndOnlyOnTheLabel() throws {
        let folder = try TestFolder()
        let host = try HostedProcess.host([
            "--colour",
            "web=echo one; exec sleep 600", "db=echo two; exec sleep 600",
        ], in: folder)
        try host.waitForLine("\u{1B}[36mweb |\u{1B}[0m one")
        try host.waitForLine("\u{1B}[33mdb  |\u{1B}[0m two")
        try host.stop()
    }

    @Test func withoutColourThereIsNoEscape() throws {
        let folder = try TestFolder()
        let host = try HostedProcess.host(["web=echo one; exec sleep 600"], in: folder)
        try host.waitForLine("web | one")
        try host.stop()
        #expect(!host.lines.joined().contains("\u{1B}"))
    }

    /// Each line is written in two pieces by each of two services at once; every line shown must
    /// still be whole and belong to one service.
    @Test func twoServicesPrintingAtOnceNeverMixWithinALine() throws {
        let folder = try TestFolder()
        let half = 100, count = 400
        func writer(_ letter: String) -> String {
            let piece = String(repeating: letter, count: half)
            return "i=0; while [ $i -lt \(count) ]; do printf '\(piece)'; printf '\(piece)\\n'; i=$((i+1)); done; echo done; exec sleep 600"
        }
        let host = try HostedProcess.host(["a=" + writer("A"), "b=" + writer("B")], in: folder)
        try host.waitForLine("a | done")
        try host.waitForLine("b | done")
        try host.stop()
        let lines = host.lines
        let a = "a | " + String(repeating: "A", count: 2 * half), b = "b | " + String(repeating: "B", count: 2 * half)
        #expect(lines.filter { $0 == a }.count == count)
        #expect(lines.filter { $0 == b }.count == count)
        let other = lines.filter { ($0.hasPrefix("a | ") || $0.hasPrefix("b | ")) && $0 != a && $0 != b && !$0.hasSuffix("| done") }
        #expect(other.isEmpty, "mixed or broken lines: \(other.prefix(3))")
    }

    /// Deterministic: a's first half is written before b's line (b waits for a on a FIFO), so the
    /// supervisor has read that half by the time b's line is shown; only then does the test let a
    /// finish. The half must not be shown on its own, and b's line must not land inside a's.
    @Test func aLineWrittenInTwoHalvesStaysWholeWhileAnotherServicePrints() throws {
        let folder = try TestFolder()
        let halfWritten = folder.path + "/half-written", finish = folder.path + "/finish"
        #expect(mkfifo(halfWritten, 0o600) == 0 && mkfifo(finish, 0o600) == 0)
        let host = try HostedProcess.host([
            "a=printf 'first half, '; echo > \(halfWritten); read x < \(finish); echo 'second half'; exec sleep 600",
            "b=read x < \(halfWritten); echo 'a whole line from b'; exec sleep 600",
        ], in: folder)
        try host.waitForLine("b | a whole line from b")
        let writer = open(finish, O_WRONLY | O_CLOEXEC)
        #expect(writer >= 0)
        #expect(write(writer, "\n", 1) == 1)
        close(writer)
        try host.waitForLine("a | first half, second half")
        try host.stop()
        #expect(host.lines.filter { $0.hasPrefix("a | ") } == ["a | first half, second half"])
    }

    @Test func aLastLineWithoutNewlineIsShownBeforeTheExit() throws {
        let folder = try TestFolder()
        let host = try HostedProcess.host(["web=printf 'no newline at the end'"], in: folder)
        try host.finish(expecting: 1)  // a service that exits, even with 0, ends the run
        let lines = host.lines
        let shown = try #require(lines.firstIndex(of: "web | no newline at the end"), "\(host.transcript)")
        let ending = try #require(lines.firstIndex(of: "ending: exited web 0"), "\(host.transcript)")
        #expect(shown < ending)
    }

    @Test func aVeryLongLineIsSplitAtTheBound() throws {
        let folder = try TestFolder()
        let host = try HostedProcess.host([
            "web=awk 'BEGIN { while (n++ < 40000) printf \"x\"; print \"\"; print \"done\" }'; exec sleep 600",
        ], in: folder)
        try host.waitForLine("web | done")
        try host.stop()
        let pieces = host.lines.filter { $0.hasPrefix("web | x") }.map { $0.dropFirst(6) }
        #expect(pieces.map(\.count) == [16384, 16384, 40000 - 2 * 16384])
        #expect(pieces.allSatisfy { $0.allSatisfy { $0 == "x" } })
    }

    @Test func aServiceGetsItsEnvironmentFolderAndProcessGroupAndNoStdin() throws {
        let folder = try TestFolder()
        mkdir(folder.path + "/app", 0o755)
        let host = try HostedProcess.host([
            "--cwd", folder.path + "/app", "--env", "GREETING=hello there",
            #"web=echo "greeting=$GREETING home=${HOME-unset} cwd=$(pwd)"; read line; echo "read=$?"; echo "group $(cut -d' ' -f5 /proc/$$/stat) of pid $$"; exec sleep 600"#,
        ], in: folder)
        try host.waitForLine("web | greeting=hello there home=unset cwd=\(folder.path)/app")
        try host.waitForLine("web | read=1")
        let group = try host.waitForLine("the group line") { $0.hasPrefix("web | group ") }
        let started = try host.waitForLine("the start line") { $0.hasPrefix("started web pid ") }
        let pid = String(started.dropFirst("started web pid ".count))
        #expect(group == "web | group \(pid) of pid \(pid)", "the service leads its own process group")
        try host.stop()
    }

    @Test func servicesStartedOnATickArePrefixedToo() throws {
        let folder = try TestFolder()
        let host = try HostedProcess.host([
            "--later", "db=echo late; exec sleep 600", "web=exec sleep 600",
        ], in: folder)
        try host.waitForLine("db  | late")
        #expect(host.lines.contains { $0.hasPrefix("started db pid ") })
        try host.stop()
    }

    @Test func aServiceThatCannotStartIsAnErrorNamingItsFolder() throws {
        let folder = try TestFolder()
        let host = try HostedProcess.host(["--cwd", folder.path + "/missing", "web=true"], in: folder)
        try host.finish(expecting: 70)
        #expect(host.lines.contains("error: cannot start web in \(folder.path)/missing: No such file or directory; check the service's cwd"))
    }

    @Test func aSecondSupervisorInOneProcessIsRefused() throws {
        let folder = try TestFolder()
        let host = try HostedProcess.host(["--second", "web=true"], in: folder)
        try host.finish(expecting: 1)
        #expect(host.lines.contains("second: another supervisor is active in this process; stop it before starting a new one"))
    }
}
