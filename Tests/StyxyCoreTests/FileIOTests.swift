import Foundation
import StyxyCore
import StyxyTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `FileIO.read`, the one reader for every file input names (DESIGN §9: regular files only, capped
/// while reading, never a FIFO, a device or a kernel pseudo-file).
@Suite("FileIO.read")
struct FileIOTests {
    /// The refusal `read` throws for `path`, or nil (recording an issue) when it reads.
    func refusal(_ path: String, limit: Int = FileIO.defaultReadLimit, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> FileIOError? {
        do {
            let bytes = try FileIO.read(path, limit: limit)
            Issue.record("read \(path): \(bytes.map { "\($0.count) bytes" } ?? "nil")", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    @Test func aMissingFileIsNilAndAFileItsBytes() throws {
        let folder = try TemporaryFolder("core")
        #expect(try FileIO.read(folder.file("missing")) == nil)
        try folder.write("a", [0, 1, 2, 0xFF])
        #expect(try FileIO.read(folder.file("a")) == [0, 1, 2, 0xFF])
        try folder.write("empty", "")
        #expect(try FileIO.read(folder.file("empty")) == [])
    }

    /// The cap holds at its edge and for files past the first read's size and the 16 KiB chunks.
    @Test(arguments: [0, 1, 4096, 16 * 1024, 100_000])
    func theCapIsExact(_ limit: Int) throws {
        let folder = try TemporaryFolder("core")
        let bytes = (0..<limit).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try folder.write("exact", bytes)
        #expect(try FileIO.read(folder.file("exact"), limit: limit) == bytes)
        try folder.write("over", bytes + [7])
        let error = try #require(refusal(folder.file("over"), limit: limit))
        #expect(error.code == EFBIG)
        #expect(error.description.contains("larger than \(FileIO.sizeText(limit))"), "\(error)")
    }

    @Test func aFolderIsRefused() throws {
        let folder = try TemporaryFolder("core")
        let error = try #require(refusal(folder.path))
        #expect(error.code == EISDIR)
        #expect(error.description == "\(folder.path): cannot read: a folder, not a regular file")
    }

    /// Opening a FIFO for reading blocks until a writer comes; `read` must refuse it first. The read
    /// runs on a thread of its own, so a regression fails this test instead of hanging the suite.
    @Test func aFIFOIsRefusedWithoutBlocking() throws {
        let folder = try TemporaryFolder("core")
        let fifo = folder.file("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let done = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        Thread.detachNewThread {
            outcome.set(Result { () throws(FileIOError) -> [UInt8]? in try FileIO.read(fifo) })
            done.signal()
        }
        if done.wait(timeout: .now() + 10) == .timedOut {
            // Give the stuck open a writer that closes at once, so the thread can end.
            let writer = open(fifo, O_WRONLY | O_NONBLOCK)
            if writer >= 0 { close(writer) }
            done.wait()
            Issue.record("FileIO.read blocked on a FIFO")
        }
        guard case .failure(let error) = outcome.value else {
            Issue.record("a FIFO was read: \(String(describing: outcome.value))")
            return
        }
        #expect(error.reason == "a FIFO, not a regular file")
    }

    /// Checked on the descriptor too: a name swapped for a FIFO after the `stat` is caught there.
    @Test func anOpenFIFOIsRefusedOnItsDescriptor() throws {
        let folder = try TemporaryFolder("core")
        #expect(mkfifo(folder.file("fifo"), 0o600) == 0)
        let fd = open(folder.file("fifo"), O_RDWR | O_NONBLOCK)
        try #require(fd >= 0)
        defer { close(fd) }
        #expect(throws: FileIOError.self) { try FileIO.readOpened(fd, path: "fifo", limit: 10) }
    }

    @Test func aDeviceIsRefusedUnopened() throws {
        let error = try #require(refusal("/dev/null"))
        #expect(error.reason == "a character device, not a regular file")
    }

    /// `/proc` files say they are regular and empty, and are generated on read; a link to one
    /// (a repository can commit that) is refused the same way.
    @Test(.enabled(if: FileIO.isDirectory("/proc/self")))
    func kernelPseudoFilesAreRefusedAlsoThroughALink() throws {
        let folder = try TemporaryFolder("core")
        try folder.link("environ.mustache", to: "/proc/self/environ")
        for path in ["/proc/self/environ", "/proc/self/status", folder.file("environ.mustache")] {
            let error = try #require(refusal(path))
            #expect(error.reason.contains("kernel pseudo-file"), "\(path): \(error)")
        }
        // The probe's own reads of /proc go through the other door.
        #expect(try FileIO.readSystemString("/proc/self/status")?.contains("Pid:") == true)
    }

    @Test func aLinkToARegularFileIsFollowed() throws {
        let folder = try TemporaryFolder("core")
        try folder.write("target", "bytes")
        try folder.link("link", to: "target")
        #expect(try FileIO.readString(folder.file("link")) == "bytes")
    }

    @Test(arguments: [
        (0, "0 bytes"), (1023, "1023 bytes"), (1024, "1 KiB"), (64 << 10, "64 KiB"), (1536 << 20, "1.5 GiB"),
        (16 << 20, "16 MiB"), (Int.max, "more than 8 EiB"),
    ])
    func sizesReadAsPeopleSayThem(_ bytes: Int, _ text: String) {
        #expect(FileIO.sizeText(bytes) == text)
    }

    @Test func pathPieces() {
        #expect(FileIO.directory(of: "/a/b/c") == "/a/b")
        #expect(FileIO.directory(of: "/c") == "/")
        #expect(FileIO.directory(of: "c") == ".")
        #expect(FileIO.basename("/a/b/c") == "c")
        #expect(FileIO.basename("c") == "c")
        #expect(FileIO.join("/a", "b") == "/a/b")
        #expect(FileIO.join("/a/", "b") == "/a/b")
        #expect(FileIO.join("/a", "/b") == "/b")
        #expect(FileIO.absolute("/x") == "/x")
        #expect(FileIO.absolute("x") == FileIO.join(FileIO.currentDirectory(), "x"))
    }
}

/// What the reading thread ended with, handed to the test's thread under a lock.
private final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Result<[UInt8]?, FileIOError>?

    func set(_ value: Result<[UInt8]?, FileIOError>) { lock.withLock { stored = value } }
    var value: Result<[UInt8]?, FileIOError>? { lock.withLock { stored } }
}
