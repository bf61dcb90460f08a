import Foundation
import StyxyTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The support every test target leans on: when it lies, tests pass for the wrong reason.
@Suite("Test support")
struct SupportTests {
    @Test func aTemporaryFolderIsPrivateCanonicalAndGoneAfterwardsEvenWhenLockedUp() throws {
        var path = ""
        do {
            let folder = try TemporaryFolder("support")
            path = folder.path
            #expect(realpath(path, nil).map { pointer in defer { free(pointer) }; return String(cString: pointer) } == path)
            #expect(folder.mode(".") == 0o700)
            try folder.write("locked/inner/file", "x")
            #expect(chmod(folder.file("locked/inner"), 0) == 0 && chmod(folder.file("locked"), 0) == 0)
        }
        #expect(access(path, F_OK) != 0, "\(path) outlived its value")
    }

    @Test func contentsAndSnapshotNeverFollowALinkAndSeeARewrite() throws {
        let folder = try TemporaryFolder("support")
        let outside = try TemporaryFolder("support")
        try outside.write("secret", "theirs")
        try folder.write("a/b.txt", "mine")
        try folder.link("out", to: outside.path)
        #expect(folder.contents() == ["a/b.txt": Array("mine".utf8), "out": Array("-> \(outside.path)".utf8)])
        #expect(folder.listing() == ["a", "a/b.txt", "out"])

        let before = folder.snapshot()
        // Same bytes, new inode: what `contents` cannot see and `snapshot` must.
        try folder.write("a/b.txt.new", "mine")
        #expect(rename(folder.file("a/b.txt.new"), folder.file("a/b.txt")) == 0)
        #expect(folder.contents()["a/b.txt"] == Array("mine".utf8))
        #expect(folder.snapshot() != before)
    }

    @Test func reservedBlocksAreFreeAndNeverShared() throws {
        let claimed = PortBlocks.claimedChunks
        // Small: claims last as long as the test process, and the kill -9 test needs 42 chunks in a row.
        let first = try PortBlocks.reserve(15)
        let second = try PortBlocks.reserve(5)
        #expect(first.count == 15 && second.count == 5)
        #expect(!first.overlaps(second))
        #expect(PortBlocks.claimedChunks >= claimed + 3, "15 ports take two chunks and 5 one")
        let used = PortBlocks.portsInSocketTables()
        #expect(first.allSatisfy { !used.contains($0) })
        // What the block promises: a server can take its ports.
        let listener = try TestListener(port: first.lowerBound, address: .any4)
        #expect(!PortBlocks.canBind(first.lowerBound, ipv6: false))
        listener.close()
    }

    @Test func aListenerOnPortZeroReportsTheKernelsChoice() throws {
        let tcp = try TestListener()
        let udp = try TestListener(kind: .udp)
        #expect(tcp.port > 0 && udp.port > 0)
        let tables = PortBlocks.sockets()
        #expect(tables.contains { $0.port == tcp.port && $0.state == "0A" }, "LISTEN")
        #expect(tables.contains { $0.port == udp.port })
        let client = try TestListener.connect(to: tcp.port)
        let server = try tcp.accept()
        #expect(client.fd >= 0 && server.port == tcp.port)
    }

    @Test func theClockMovesOnlyWhenTold() {
        let clock = TestClock(100)
        let read = clock.function
        #expect(read() == 100)
        clock.advance(5)
        #expect(read() == 105)
        clock.now = 7
        #expect(read() == 7)
    }
}
