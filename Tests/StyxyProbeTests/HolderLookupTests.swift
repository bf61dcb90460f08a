import StyxyProbe
import StyxyTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Holder lookup over a fixture `/proc`: what is read from each process file, and what is skipped.
@Suite("Finding socket holders in a fixture /proc")
struct HolderLookupTests {
    static func fixture() throws -> TemporaryFolder {
        let root = try TemporaryFolder("probe")
        try root.link("100/fd/3", to: "socket:[555]")
        try root.link("100/fd/4", to: "/dev/null")
        try root.link("100/fd/5", to: "pipe:[555]")
        try root.write("100/cmdline", "node\u{0}server.js\u{0}--port\u{0}3000\u{0}")
        try root.write("100/comm", "node\n")
        try root.write("100/environ", "PATH=/bin\u{0}STYXY_PROJECT=/work/shop\u{0}STYXY_INSTANCE=ci=1\u{0}X_STYXY_NO=1\u{0}")
        try root.link("100/cwd", to: "/work/shop")
        // A kernel thread or zombie: no command line, so the short name stands in; nothing else readable.
        try root.link("200/fd/7", to: "socket:[666]")
        try root.write("200/cmdline", "")
        try root.write("200/comm", "kworker\n")
        // A process whose descriptors cannot be listed.
        try root.write("300/fd", "not a folder")
        try root.link("self/fd/3", to: "socket:[777]")  // not a PID: ignored
        try root.write("net/tcp", "")
        return root
    }

    @Test func findsHoldersWithTheirDetails() throws {
        let root = try Self.fixture()
        let lookup = LinuxPortProbe(procRoot: root.path).lookupHolders(ofInodes: [555, 666, 777, 0])
        #expect(Set(lookup.holders.keys) == [555, 666])
        #expect(lookup.holders[555] == [
            PortHolder(
                pid: 100, command: "node server.js --port 3000", workingDirectory: "/work/shop",
                styxyEnvironment: ["STYXY_PROJECT": "/work/shop", "STYXY_INSTANCE": "ci=1"], uid: getuid())
        ])
        #expect(lookup.holders[666] == [PortHolder(pid: 200, command: "kworker", uid: getuid())])
        #expect(lookup.uninspectable == 1, "process 300 could not be inspected")
    }

    @Test func stopsOnceEveryInodeIsFound() throws {
        let root = try Self.fixture()
        let lookup = LinuxPortProbe(procRoot: root.path).lookupHolders(ofInodes: [555])
        #expect(lookup.holders[555]?.map(\.pid) == [100])
        #expect(lookup.holders.count == 1)
    }

    @Test func missingProcRootFindsNothing() {
        let lookup = LinuxPortProbe(procRoot: "/nonexistent/styxy-proc").lookupHolders(ofInodes: [1])
        #expect(lookup == HolderLookup())
    }
}
