import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Which processes count as a service's own (for readiness), once some of them have been
/// re-parented to the supervisor. The host says `tree NAME [PIDS]` whenever that set changes.
@Suite("A service's processes")
struct SupervisorTreeTests {
    /// The PIDs of a `tree NAME [1,2]` line, nil for any other line.
    static func tree(_ name: String, in line: String) -> Set<pid_t>? {
        guard line.hasPrefix("tree \(name) [") else { return nil }
        return Set(line.dropFirst("tree \(name) [".count).dropLast().split(separator: ",").compactMap { pid_t($0) })
    }

    /// A daemon in a session of its own is seen under its service while its parent lives; after
    /// the parent ends, it is the supervisor's child, in no group of the service's, and still the
    /// service's.
    @Test func aDaemonSeenUnderItsServiceStaysItsAfterReparenting() throws {
        let folder = try TestFolder()
        let release = folder.path + "/release"
        #expect(mkfifo(release, 0o600) == 0)
        try #"""
        sh -c 'setsid sh -c "echo daemon pid \$\$; exec sleep 600" & echo "parent pid $$"; read x < release' &
        sleep 600 & wait
        """#.write(toFile: folder.path + "/web.sh", atomically: true, encoding: .utf8)
        let host = try HostedProcess.host(["--trees", "--cwd", folder.path, "web=sh web.sh", "db=exec sleep 600"], in: folder)
        let daemon = try host.announced("daemon"), parent = try host.announced("parent")
        try host.waitForLine("web's tree with the daemon under its parent") {
            Self.tree("web", in: $0)?.isSuperset(of: [daemon, parent]) == true
        }
        let writer = open(release, O_WRONLY | O_CLOEXEC)
        #expect(writer >= 0 && write(writer, "\n", 1) == 1)
        close(writer)
        try host.waitForLine("web's tree without the daemon's parent") {
            guard let tree = Self.tree("web", in: $0) else { return false }
            return tree.contains(daemon) && !tree.contains(parent)
        }
        #expect(SupervisorStopTests.parent(of: daemon) == host.pid, "the daemon was re-parented to the supervisor")
        #expect(SupervisorStopTests.group(of: daemon) == daemon, "the daemon left web's process group")
        #expect(!host.lines.contains { Self.tree("db", in: $0)?.contains(daemon) == true })
        try host.stop()
    }

    /// A background child whose parent ends at once may never be seen under it; its process
    /// group still names the service.
    @Test func anOrphanInItsServicesGroupIsItsService() throws {
        let folder = try TestFolder()
        let host = try HostedProcess.host([
            "--trees", #"web=(sleep 600 & echo "orphan pid $!"); sleep 600 & wait"#, "db=exec sleep 600",
        ], in: folder)
        let orphan = try host.announced("orphan")
        try host.waitForLine("web's tree with the orphan") { Self.tree("web", in: $0)?.contains(orphan) == true }
        #expect(SupervisorStopTests.parent(of: orphan) == host.pid)
        #expect(!host.lines.contains { Self.tree("db", in: $0)?.contains(orphan) == true })
        try host.stop()
    }
}
