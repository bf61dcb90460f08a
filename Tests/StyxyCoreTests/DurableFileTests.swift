import StyxyCore
import StyxyTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Temp file, fsync, rename, fsync of the folder: the ledger and every output are replaced this way,
/// so a reader sees the old bytes or the new ones and a failure leaves the old file alone.
@Suite("DurableFile")
struct DurableFileTests {
    @Test func replacesWithExactlyTheGivenModeAndLeavesNoTempFile() throws {
        let folder = try TemporaryFolder("durable")
        try folder.write("ledger.json", "old")
        for durable in [true, false] {
            // 0666 would come out 0644 under the usual umask if the mode were left to O_CREAT.
            try DurableFile.replace(folder.file("ledger.json"), with: Array("new \(durable)".utf8), mode: 0o666, durable: durable)
            #expect(folder.text("ledger.json") == "new \(durable)")
            #expect(folder.mode("ledger.json") == 0o666)
            #expect(folder.listing() == ["ledger.json"])
        }
    }

    /// The rename replaces the entry with its name: a link planted there is replaced, never written through.
    @Test func aLinkInThePathIsReplacedNotFollowed() throws {
        let folder = try TemporaryFolder("durable")
        let elsewhere = try TemporaryFolder("elsewhere")
        try elsewhere.write("victim", "theirs")
        try folder.link("ledger.json", to: elsewhere.file("victim"))
        try DurableFile.replace(folder.file("ledger.json"), with: Array("mine".utf8))
        #expect(folder.contents() == ["ledger.json": Array("mine".utf8)])
        #expect(elsewhere.text("victim") == "theirs")
    }

    @Test func aFailedReplaceLeavesWhatWasThere() throws {
        let folder = try TemporaryFolder("durable")
        try folder.write("taken/keep", "x")
        let before = folder.snapshot()
        // A folder holds the name: the rename fails after the temp file was written.
        #expect(throws: FileIOError.self) { try DurableFile.replace(folder.file("taken"), with: Array("new".utf8)) }
        #expect(folder.snapshot() == before, "the temp file was not removed, or the folder changed")
        let missing = #expect(throws: FileIOError.self) { try DurableFile.replace(folder.file("no/such/file"), with: []) }
        #expect(missing?.path == folder.file("no/such"))
        #expect(missing?.code == ENOENT)
    }
}
