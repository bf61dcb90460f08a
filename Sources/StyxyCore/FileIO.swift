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

    /// The cap when a caller names none: far beyond any file Styxy reads by name.
    public static let defaultReadLimit = 16 << 20

    /// The one way Styxy reads a file that input names (manifest, template, configuration, the
    /// files `init` inspects, outputs, the ledger and caches): nil when it does not exist; a FIFO,
    /// device, socket, folder or kernel pseudo-file (`/proc`, `/sys`) is refused before anything
    /// is read from it, and more than `limit` bytes is refused while reading, so no input can
    /// block Styxy or make it hold an unbounded file in memory.
    public static func read(_ path: String, limit: Int = defaultReadLimit) throws(FileIOError) -> [UInt8]? {
        // stat first: a device is refused without being opened (opening one can have effects).
        var before = stat()
        if stat(path, &before) != 0 {
            if errno == ENOENT { return nil }
            throw FileIOError(path: path, operation: "open", code: errno)
        }
        try requireRegular(before, path: path)
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw FileIOError(path: path, operation: "open", code: errno)
        }
        defer { close(fd) }
        return try readOpened(fd, path: path, limit: limit)
    }

    /// Reads an open descriptor after checking, on the descriptor itself, that it is a regular
    /// file on an ordinary file system; the cap is enforced as bytes arrive, not from `st_size`.
    public static func readOpened(_ fd: Int32, path: String, limit: Int) throws(FileIOError) -> [UInt8] {
        var info = stat()
        if fstat(fd, &info) != 0 { throw FileIOError(path: path, operation: "inspect", code: errno) }
        try requireRegular(info, path: path)
        if isKernelPseudoFile(info) {
            throw FileIOError(path: path, operation: "read", code: EINVAL, reason: "a kernel pseudo-file (/proc, /sys), not a file of yours")
        }
        return try readAll(fd, path: path, limit: limit, sizeHint: Int(max(info.st_size, 0)))
    }

    /// Reads a kernel pseudo-file the probe names itself (`/proc/net/tcp`, `/proc/PID/cmdline`):
    /// never a path that input chose, so none of `read`'s refusals apply.
    public static func readSystem(_ path: String) throws(FileIOError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw FileIOError(path: path, operation: "open", code: errno)
        }
        defer { close(fd) }
        // Pseudo-files report a size of 0; most of the probe's are a line or two.
        return try readAll(fd, path: path, limit: .max - 1, sizeHint: 4096)
    }

    /// The read loop both readers share: one read into an array of `sizeHint` + 1 bytes (the +1
    /// sees the end in the same call), with no zero-filled buffer or copy, since the warm path
    /// reads a handful of small files per run; then, for a file longer than its hint, chunks up
    /// to `limit`.
    private static func readAll(_ fd: Int32, path: String, limit: Int, sizeHint: Int) throws(FileIOError) -> [UInt8] {
        let expected = min(sizeHint, limit) + 1
        var failure: Int32 = 0
        var result = [UInt8](unsafeUninitializedCapacity: expected) { buffer, count in
            count = 0
            guard let start = buffer.baseAddress else { return }
            while count < buffer.count {
                let n = readBytes(fd, start + count, buffer.count - count)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if n == 0 { return }
                count += n
            }
        }
        if failure != 0 { throw FileIOError(path: path, operation: "read", code: failure) }
        guard result.count == expected else { return result }
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while result.count <= limit {
            let n = chunk.withUnsafeMutableBytes { readBytes(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileIOError(path: path, operation: "read", code: errno)
            }
            if n == 0 { return result }
            result.append(contentsOf: chunk[0..<n])
        }
        throw FileIOError(path: path, operation: "read", code: EFBIG, reason: "larger than \(sizeText(limit))")
    }

    public static func readSystemString(_ path: String) throws(FileIOError) -> String? {
        guard let bytes = try readSystem(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func requireRegular(_ info: stat, path: String) throws(FileIOError) {
        let kind = info.st_mode & S_IFMT
        guard kind != S_IFREG else { return }
        throw FileIOError(path: path, operation: "read", code: kind == S_IFDIR ? EISDIR : EINVAL,
                          reason: "\(kindName(kind)), not a regular file")
    }

    /// What a file-type field describes, for messages.
    public static func kindName(_ kind: mode_t) -> String {
        switch kind {
        case S_IFDIR: "a folder"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFLNK: "a symbolic link"
        default: "a regular file"
        }
    }

    /// `/proc` and `/sys` files claim to be regular but are generated on read: `/proc/self/environ`
    /// would copy the caller's secrets, and several never end.
    static func isKernelPseudoFile(_ info: stat) -> Bool {
        pseudoFileSystems.contains(UInt64(truncatingIfNeeded: info.st_dev))
    }

    /// The devices of `/proc` and `/sys` as mounted here (what a user could name by mistake;
    /// templates and outputs are confined to the project anyway). Swift's Glibc module has no
    /// `fstatfs`; every mount has its own device number, so comparing devices tells the same.
    /// Elsewhere there are none: macOS has no `/proc`, and its `/dev` holds devices, which are
    /// refused as such.
    private static let pseudoFileSystems: [UInt64] = {
        #if os(Linux)
        var devices: [UInt64] = []
        var root = stat()
        guard stat("/", &root) == 0 else { return [] }
        for mount in ["/proc", "/sys"] {
            // Only a real mount point counts: an unmounted /proc is a folder of the root file system.
            var info = stat()
            if stat(mount, &info) == 0, info.st_dev != root.st_dev { devices.append(UInt64(truncatingIfNeeded: info.st_dev)) }
        }
        return devices
        #else
        return []
        #endif
    }()

    /// A byte count as people read it: `64 KiB`, `8 MiB`, `1.5 GiB`.
    public static func sizeText(_ bytes: Int) -> String {
        if bytes == .max { return "more than 8 EiB" }
        let units = [(1 << 60, "EiB"), (1 << 50, "PiB"), (1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        guard let (scale, unit) = units.first(where: { bytes >= $0.0 }) else { return "\(bytes) bytes" }
        let tenths = Int((Double(bytes) / Double(scale) * 10).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10) \(unit)" : "\(tenths / 10).\(tenths % 10) \(unit)"
    }

    private static func readBytes(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.read(fd, buffer, count)
        #else
        Darwin.read(fd, buffer, count)
        #endif
    }

    public static func readString(_ path: String, limit: Int = defaultReadLimit) throws(FileIOError) -> String? {
        guard let bytes = try read(path, limit: limit) else { return nil }
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
    /// Said instead of the `errno` text when Styxy refused on its own account.
    public var refusal: String?

    public init(path: String, operation: String, code: Int32, reason: String? = nil) {
        self.path = path
        self.operation = operation
        self.code = code
        self.refusal = reason
    }

    /// Why, in words: Styxy's own reason, or the system's.
    public var reason: String { refusal ?? FileIO.errorText(code) }

    public var description: String {
        "\(path): cannot \(operation): \(reason)"
    }
}

/// Atomic, durable replacement of a file: temp file in the same folder, fsync, rename, fsync of
/// the folder. Every step is taken relative to the folder's open descriptor, so a link swapped
/// into the path meanwhile cannot move the write elsewhere.
public enum DurableFile {
    /// Replaces `path` with `bytes`. The folder is opened as named (its own checks are the
    /// caller's: the state home is verified, outputs go through `ConfinedFolder`); the file
    /// itself is never followed, since the rename replaces whatever entry has its name.
    /// `durable: false` skips the fsyncs, for caches whose loss costs nothing.
    public static func replace(
        _ path: String, with bytes: [UInt8], mode: mode_t = 0o600, durable: Bool = true
    ) throws(FileIOError) {
        let folder = FileIO.directory(of: path)
        let dfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd < 0 { throw FileIOError(path: folder, operation: "open", code: errno) }
        defer { close(dfd) }
        try replace(in: dfd, folderPath: folder, name: FileIO.basename(path), with: bytes, mode: mode, durable: durable)
    }

    /// Replaces the entry `name` of the open folder `dfd`. The temp file is
    /// `.<name>.tmp-<pid>-<random>` beside the target, made with `O_EXCL | O_NOFOLLOW`, and removed
    /// on every failure path, so a failed write leaves the old file as it was.
    public static func replace(
        in dfd: Int32, folderPath: String, name: String, with bytes: [UInt8], mode: mode_t, durable: Bool = true
    ) throws(FileIOError) {
        let path = FileIO.join(folderPath, name)
        var temp = ""
        var fd: Int32 = -1
        for _ in 0..<8 {
            temp = ".\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            fd = openat(dfd, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if fd >= 0 || errno != EEXIST { break }
        }
        if fd < 0 { throw FileIOError(path: FileIO.join(folderPath, temp), operation: "create", code: errno) }
        var ok = false
        defer {
            if !ok { unlinkat(dfd, temp, 0) }
        }
        do {
            defer { close(fd) }
            // O_CREAT honours the umask; the mode is a promise, so set it explicitly.
            if fchmod(fd, mode) != 0 { throw FileIOError(path: FileIO.join(folderPath, temp), operation: "chmod", code: errno) }
            try writeAll(fd, bytes, path: FileIO.join(folderPath, temp))
            if durable, fsync(fd) != 0 { throw FileIOError(path: FileIO.join(folderPath, temp), operation: "fsync", code: errno) }
        }
        if renameat(dfd, temp, dfd, name) != 0 { throw FileIOError(path: path, operation: "rename onto", code: errno) }
        ok = true
        if durable { fsync(dfd) }
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
            let n = bytes.withUnsafeBytes { all in
                let rest = UnsafeRawBufferPointer(rebasing: all[offset...])
                return write(fd, rest.baseAddress, rest.count)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileIOError(path: path, operation: "write", code: errno)
            }
            offset += n
        }
    }
}
