#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small, explicit file primitives on top of POSIX. Styxy's state and outputs are written only
/// through `DurableFile.replace`, so a crash leaves either the old bytes or the new ones, never a mix.
public enum FileIO {
    /// The C `errno` text, for messages.
    public static func errorText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }

    /// Reads a whole file; nil when it does not exist. Other failures throw.
    public static func read(_ path: String) throws(FileIOError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw FileIOError(path: path, operation: "open", code: errno)
        }
        defer { close(fd) }
        var result: [UInt8] = []
        var st = stat()
        if fstat(fd, &st) == 0, st.st_size > 0 { result.reserveCapacity(Int(st.st_size)) }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileIOError(path: path, operation: "read", code: errno)
            }
            if n == 0 { break }
            result.append(contentsOf: buffer[0..<n])
        }
        return result
    }

    public static func readString(_ path: String) throws(FileIOError) -> String? {
        guard let bytes = try read(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The folder part of a path (`/a/b` for `/a/b/c`, `.` for `c`).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of a path.
    public static func basename(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Joins two path parts with one slash.
    public static func join(_ base: String, _ child: String) -> String {
        if child.hasPrefix("/") { return child }
        if base.hasSuffix("/") { return base + child }
        return base + "/" + child
    }

    /// The canonical absolute path (symlinks resolved); nil when it does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    public static func currentDirectory() -> String {
        guard let cwd = getcwd(nil, 0) else { return "." }
        defer { free(cwd) }
        return String(cString: cwd)
    }

    /// An absolute version of `path`, relative paths taken from the current folder.
    public static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : join(currentDirectory(), path)
    }

    /// The names in a folder (without `.` and `..`); empty when it cannot be read.
    public static func list(_ folder: String) -> [String] {
        guard let dir = opendir(folder) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}

/// A failed system call on a named file.
public struct FileIOError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var operation: String
    public var code: Int32

    public init(path: String, operation: String, code: Int32) {
        self.path = path
        self.operation = operation
        self.code = code
    }

    public var description: String {
        "\(path): cannot \(operation): \(FileIO.errorText(code))"
    }
}

/// Atomic, durable replacement of a file: temp file in the same folder, fsync, rename, fsync of
/// the folder.
public enum DurableFile {
    /// Replaces `path` with `bytes`. The temp file is `.<name>.tmp-<pid>-<n>` beside the target and is
    /// removed on every failure path, so a failed write leaves the old file as it was.
    /// `durable: false` skips the fsyncs, for caches whose loss costs nothing.
    public static func replace(
        _ path: String, with bytes: [UInt8], mode: mode_t = 0o600, durable: Bool = true
    ) throws(FileIOError) {
        let folder = FileIO.directory(of: path)
        let temp = FileIO.join(folder, ".\(FileIO.basename(path)).tmp-\(getpid())-\(nextSerial())")
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if fd < 0 { throw FileIOError(path: temp, operation: "create", code: errno) }
        var ok = false
        defer {
            if !ok { unlink(temp) }
        }
        do {
            defer { close(fd) }
            // O_CREAT honours the umask; the mode is a promise, so set it explicitly.
            if fchmod(fd, mode) != 0 { throw FileIOError(path: temp, operation: "chmod", code: errno) }
            try writeAll(fd, bytes, path: temp)
            if durable, fsync(fd) != 0 { throw FileIOError(path: temp, operation: "fsync", code: errno) }
        }
        if rename(temp, path) != 0 { throw FileIOError(path: path, operation: "rename onto", code: errno) }
        ok = true
        if durable { syncDirectory(folder) }
    }

    /// Flushes a folder's entries, so a rename inside it survives a power cut.
    public static func syncDirectory(_ folder: String) {
        let dfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileIOError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileIOError(path: path, operation: "write", code: errno)
            }
            offset += n
        }
    }

    nonisolated(unsafe) private static var serial = 0
    private static func nextSerial() -> Int {
        serial += 1
        return serial
    }
}
