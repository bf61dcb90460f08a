import Foundation
import StyxyCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a piece of test support could not set itself up.
public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }

    /// A failed system call, with the text of its errno.
    public static func call(_ name: String, _ code: Int32 = errno) -> TestSupportError {
        TestSupportError("\(name): \(String(cString: strerror(code)))")
    }
}

/// A fresh folder of one test's own (mode 0700) under the temporary folder, removed with all it
/// holds when the value goes away, also where the test made parts of it unreadable. Its path is
/// canonical: the loader, the writer and the engine compare real paths, so tests can compare
/// against it directly.
public final class TemporaryFolder: @unchecked Sendable {
    public let path: String

    /// `label` goes into the folder's name, so a folder left by a crashed run says whose it was.
    public init(_ label: String = "test") throws {
        var template = Array((NSTemporaryDirectory() + "/styxy-\(label)-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw TestSupportError.call("mkdtemp") }
        let raw = String(cString: made)
        path = FileIO.realPath(raw) ?? raw
    }

    deinit { Self.remove(path) }

    /// Removes a tree, first giving every folder in it back its owner's rights: a test may have
    /// made one read-only or unlistable to see a failure.
    public static func remove(_ path: String) {
        func open(_ folder: String) {
            chmod(folder, 0o700)
            for name in FileIO.list(folder) {
                var info = stat()
                let child = folder + "/" + name
                if lstat(child, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { open(child) }
            }
        }
        open(path)
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The absolute path of `relative`.
    public func file(_ relative: String) -> String { path + "/" + relative }

    /// Writes a file, making the folders on its way; returns its path.
    @discardableResult
    public func write(_ relative: String, _ bytes: [UInt8]) throws -> String {
        let url = URL(fileURLWithPath: file(relative))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url.path
    }

    @discardableResult
    public func write(_ relative: String, _ text: String) throws -> String { try write(relative, Array(text.utf8)) }

    /// Makes a folder and those on its way; returns its path.
    @discardableResult
    public func mkdir(_ relative: String) throws -> String {
        try FileManager.default.createDirectory(atPath: file(relative), withIntermediateDirectories: true)
        return file(relative)
    }

    /// A symbolic link whose target need not exist (as in `/proc/PID/fd`).
    public func link(_ relative: String, to target: String) throws {
        try mkdir(FileIO.directory(of: relative))
        try FileManager.default.createSymbolicLink(atPath: file(relative), withDestinationPath: target)
    }

    public func read(_ relative: String) -> [UInt8]? { try? FileIO.read(file(relative)) }

    public func text(_ relative: String) -> String? { read(relative).map { String(decoding: $0, as: UTF8.self) } }

    /// Every entry below the folder, for "nothing was written" checks.
    public func listing() -> [String] {
        entries().map(\.relative).sorted()
    }

    /// Every file below the folder with its bytes (a link as `-> target`), never following a
    /// link: for "nothing changed anywhere" checks in projects full of hostile links.
    public func contents() -> [String: [UInt8]] {
        Dictionary(uniqueKeysWithValues: entries().filter { !$0.isFolder }.map { ($0.relative, $0.content) })
    }

    /// Every entry with its bytes, inode and modification time, so that a file rewritten with the
    /// same bytes, or a folder that gained and lost an entry, counts as a change too.
    public func snapshot() -> [String: String] {
        Dictionary(uniqueKeysWithValues: entries().map { ($0.relative, "\($0.identity) \(Digest.of($0.content))") })
    }

    /// Inode and modification time: a rewrite with the same bytes changes both.
    public func identity(_ relative: String) -> [Int] {
        var info = stat()
        guard stat(file(relative), &info) == 0 else { return [] }
        return Self.identity(info)
    }

    /// The permission bits of what `relative` names (following a link).
    public func mode(_ relative: String) -> mode_t {
        var info = stat()
        _ = stat(file(relative), &info)
        return info.st_mode & 0o7777
    }

    private static func identity(_ info: stat) -> [Int] {
        #if os(Linux)
        [Int(info.st_ino), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec)]
        #else
        [Int(info.st_ino), Int(info.st_mtimespec.tv_sec), Int(info.st_mtimespec.tv_nsec)]
        #endif
    }

    private struct Entry {
        var relative: String
        var isFolder: Bool
        var content: [UInt8]
        var identity: [Int]
    }

    /// A walk that never follows a link.
    private func entries() -> [Entry] {
        var result: [Entry] = []
        func walk(_ relative: String) {
            for name in FileIO.list(relative.isEmpty ? path : file(relative)) {
                let child = relative.isEmpty ? name : relative + "/" + name
                var info = stat()
                guard lstat(file(child), &info) == 0 else { continue }
                let kind = info.st_mode & S_IFMT
                let content: [UInt8]
                switch kind {
                case S_IFDIR: content = []
                case S_IFLNK: content = Array("-> \((try? FileManager.default.destinationOfSymbolicLink(atPath: file(child))) ?? "?")".utf8)
                case S_IFREG: content = read(child) ?? Array("<unreadable>".utf8)
                default: content = Array("<special>".utf8)
                }
                result.append(Entry(relative: child, isFolder: kind == S_IFDIR, content: content, identity: Self.identity(info)))
                if kind == S_IFDIR { walk(child) }
            }
        }
        walk("")
        return result
    }
}
