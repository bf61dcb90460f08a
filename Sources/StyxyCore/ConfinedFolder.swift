#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file's identity however it is named or linked: device and inode.
public struct FileIdentity: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64

    public init(_ info: stat) {
        device = UInt64(truncatingIfNeeded: info.st_dev)  // a signed 32-bit dev_t on Darwin
        inode = UInt64(info.st_ino)
    }

    /// The identity of what `path` names after following links; nil when it does not exist.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(info)
    }
}

/// A folder opened once, beneath which every read and write of Styxy's happens: the one gate of
/// DESIGN §9. A relative path is resolved here component by component from the open folder,
/// each component opened with `O_NOFOLLOW`, so the walk never leaves the folder at any moment:
/// a symbolic link is followed only by this code, only to a place inside the folder, and a
/// folder swapped for a link between two steps makes the next `openat` fail instead of leading
/// elsewhere. Writes then happen relative to the final folder's descriptor (temp file, rename),
/// so nothing swapped after the walk can redirect them either.
///
/// Besides escaping the folder, a walk refuses any `.git` component (however the path reached
/// it), the folders and files registered as protected (the state home, the manifest, templates),
/// and anything at the end that is not a regular file.
public final class ConfinedFolder {
    /// The canonical absolute path of the folder.
    public let path: String
    let fd: Int32
    private var protectedFolders: [FileIdentity: String] = [:]
    private var protectedFiles: [FileIdentity: String] = [:]

    static let maximumLinks = 40
    static let maximumRetries = 16

    public init(path: String) throws(FileIOError) {
        guard let canonical = FileIO.realPath(path) else { throw FileIOError(path: path, operation: "open", code: errno) }
        let fd = open(canonical, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw FileIOError(path: canonical, operation: "open", code: errno) }
        self.path = canonical
        self.fd = fd
    }

    deinit { close(fd) }

    /// Refuses any walk through the folder at `path` (when it exists), naming it as `label`.
    public func protectFolder(_ path: String, as label: String) {
        if let identity = FileIdentity(path: path) { protectedFolders[identity] = label }
    }

    /// Refuses any walk that ends at the file `path` names (when it exists), however it is reached.
    public func protectFile(_ path: String, as label: String) {
        if let identity = FileIdentity(path: path) { protectedFiles[identity] = label }
    }

    /// Where a relative path leads: the folder that holds (or will hold) the file, open.
    public final class Entry {
        /// The canonical components below the folder, the file's name last.
        public let components: [String]
        /// The file's metadata; nil when it does not exist yet.
        public let info: stat?
        /// How many of the components before the name are folders that do not exist yet.
        public let missingFolders: Int
        /// The canonical absolute path, for messages.
        public let path: String
        let parent: Int32

        init(components: [String], info: stat?, missingFolders: Int, root: String, parent: Int32) {
            self.components = components
            self.info = info
            self.missingFolders = missingFolders
            self.path = components.reduce(root) { FileIO.join($0, $1) }
            self.parent = parent
        }

        deinit { close(parent) }

        public var name: String { components[components.count - 1] }
        public var exists: Bool { info != nil }

        /// Whether a new entry can be made in the deepest folder that exists.
        public var folderIsWritable: Bool { faccessat(parent, ".", W_OK | X_OK, 0) == 0 }
    }

    /// Walks `relative` beneath the folder. With `createFolders`, missing folders on the way are
    /// made (with `folderMode`) as the walk reaches them, by the same rules.
    public func locate(_ relative: String, createFolders: Bool = false, folderMode: mode_t = 0o755) throws(FileIOError) -> Entry {
        guard case .file(let entry) = try walk(relative, createFolders: createFolders, folderMode: folderMode, toFolder: false) else {
            throw refusal(relative, "the path names no file")
        }
        return entry
    }

    /// Walks `relative` beneath the folder, by the same rules as `locate`, to a folder that exists
    /// (a service's working folder); returns its canonical path below the folder, `.` for the
    /// folder itself. A missing component fails with `ENOENT`, one that is not a folder with
    /// `ENOTDIR`, and a way out of the folder (or into `.git` or a protected folder) is refused.
    public func locateFolder(_ relative: String) throws(FileIOError) -> String {
        guard case .folder(let names) = try walk(relative, createFolders: false, folderMode: 0, toFolder: true) else {
            throw FileIOError(path: relative, operation: "use as a folder", code: ENOTDIR)
        }
        return names.isEmpty ? "." : names.joined(separator: "/")
    }

    private enum WalkEnd {
        case file(Entry)
        /// The canonical names of the folder reached, below the root.
        case folder([String])
    }

    private func walk(_ relative: String, createFolders: Bool, folderMode: mode_t, toFolder: Bool) throws(FileIOError) -> WalkEnd {
        if relative.utf8.contains(0) { throw refusal(relative, "the path contains a NUL byte") }
        if relative.hasPrefix("/") { throw refusal(relative, "the path is absolute") }
        var pending = Array(Self.components(of: relative).reversed())
        if pending.isEmpty && !toFolder { throw refusal(relative, "the path names no file") }
        var rootInfo = stat()
        if fstat(fd, &rootInfo) == 0, let label = protectedFolders[FileIdentity(rootInfo)] {
            throw refusal(relative, "\(path) is \(label)")
        }
        guard let start = Self.reopen(fd) else { throw FileIOError(path: path, operation: "open", code: errno) }
        var walk = Walk(folders: [start])
        defer { walk.closeAll() }
        var links = 0
        var retries = 0
        while let part = pending.popLast() {
            if part == "." { continue }
            if part == ".." {
                if walk.folders.count == 1 { throw refusal(relative, "it leads outside \(path)") }
                walk.pop()
                continue
            }
            if part.lowercased() == ".git" {
                throw refusal(relative, "it leads into a git folder (\(walk.path(root: path, adding: part)))")
            }
            let isLast = pending.isEmpty
            var info = stat()
            if fstatat(walk.top, part, &info, AT_SYMLINK_NOFOLLOW) != 0 {
                guard errno == ENOENT else { throw FileIOError(path: walk.path(root: path, adding: part), operation: "inspect", code: errno) }
                if toFolder { throw FileIOError(path: walk.path(root: path, adding: part), operation: "find the folder", code: ENOENT) }
                if isLast { return .file(walk.finish(name: part, info: nil, root: path)) }
                guard createFolders else {
                    return .file(try missingTail(first: part, rest: pending.reversed(), walk: &walk, relative: relative))
                }
                if mkdirat(walk.top, part, folderMode) != 0 && errno != EEXIST {
                    throw FileIOError(path: walk.path(root: path, adding: part), operation: "create the folder", code: errno)
                }
                pending.append(part)
                continue
            }
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                links += 1
                if links > Self.maximumLinks { throw refusal(relative, "it passes through more than \(Self.maximumLinks) links") }
                let linkPath = walk.path(root: path, adding: part)
                guard let target = Self.readLink(walk.top, part) else {
                    throw FileIOError(path: linkPath, operation: "read the link", code: errno)
                }
                if target.hasPrefix("/") {
                    guard let inside = Self.relative(target, below: path) else {
                        throw refusal(relative, "\(linkPath) is a link to \(target), outside \(path)")
                    }
                    walk.popToRoot()
                    pending.append(contentsOf: Self.components(of: inside).reversed())
                } else {
                    pending.append(contentsOf: Self.components(of: target).reversed())
                }
            case S_IFDIR:
                if isLast && !toFolder { throw refusal(relative, "\(walk.path(root: path, adding: part)) is a folder, not a file") }
                let next = openat(walk.top, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if next < 0 {
                    // Changed between the look and the open (swapped for a link, say): look again.
                    if (errno == ELOOP || errno == ENOTDIR || errno == ENOENT) && retries < Self.maximumRetries {
                        retries += 1
                        pending.append(part)
                        continue
                    }
                    throw FileIOError(path: walk.path(root: path, adding: part), operation: "open", code: errno)
                }
                walk.push(next, name: part)
                var folderInfo = stat()
                if fstat(next, &folderInfo) == 0, let label = protectedFolders[FileIdentity(folderInfo)] {
                    throw refusal(relative, "it leads into \(label) (\(walk.path(root: path)))")
                }
            case _ where toFolder:
                throw FileIOError(path: walk.path(root: path, adding: part), operation: "use as a folder", code: ENOTDIR)
            case S_IFREG where isLast:
                if let label = protectedFiles[FileIdentity(info)] {
                    throw refusal(relative, "\(walk.path(root: path, adding: part)) is \(label)")
                }
                return .file(walk.finish(name: part, info: info, root: path))
            case S_IFREG:
                throw refusal(relative, "\(walk.path(root: path, adding: part)) is a file, not a folder")
            case let kind:
                throw refusal(relative, "\(walk.path(root: path, adding: part)) is \(FileIO.kindName(kind)), not a regular file")
            }
        }
        if toFolder { return .folder(walk.names) }
        throw refusal(relative, "the path names no file")
    }

    /// The rest of a path below a folder that does not exist: names only, checked like the walk.
    private func missingTail(first: String, rest: [String], walk: inout Walk, relative: String) throws(FileIOError) -> Entry {
        let names = ([first] + rest).filter { $0 != "." }
        if names.contains("..") { throw refusal(relative, "it climbs out of a folder that does not exist") }
        if let git = names.first(where: { $0.lowercased() == ".git" }) {
            throw refusal(relative, "it leads into a git folder (\(walk.path(root: path, adding: git)))")
        }
        return walk.finish(names: names, root: path)
    }

    /// Reads the regular file an entry names, capped while reading.
    public func read(_ entry: Entry, limit: Int) throws(FileIOError) -> [UInt8]? {
        guard entry.exists else { return nil }
        let file = openat(entry.parent, entry.name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        if file < 0 {
            if errno == ENOENT { return nil }
            throw FileIOError(path: entry.path, operation: "open", code: errno)
        }
        defer { close(file) }
        return try FileIO.readOpened(file, path: entry.path, limit: limit)
    }

    /// Reads `relative` beneath the folder; nil when it does not exist.
    public func read(_ relative: String, limit: Int) throws(FileIOError) -> [UInt8]? {
        try read(try locate(relative), limit: limit)
    }

    /// Replaces the file an entry names: a temp file beside it, written and (when `durable`)
    /// synced, renamed over it, and the folder synced. Missing folders are made first; the entry
    /// must have been located with `createFolders` when it has any.
    public func replace(_ entry: Entry, with bytes: [UInt8], mode: mode_t, durable: Bool = true) throws(FileIOError) {
        precondition(entry.missingFolders == 0, "locate with createFolders before writing")
        try DurableFile.replace(in: entry.parent, folderPath: FileIO.directory(of: entry.path), name: entry.name,
                                with: bytes, mode: mode, durable: durable)
    }

    /// Locates (making folders) and replaces in one step; new files get `mode`, existing ones keep theirs.
    public func replace(
        _ relative: String, with bytes: [UInt8], mode: mode_t, durable: Bool = true, folderMode: mode_t = 0o755
    ) throws(FileIOError) {
        let entry = try locate(relative, createFolders: true, folderMode: folderMode)
        try replace(entry, with: bytes, mode: entry.info.map { $0.st_mode & 0o777 } ?? mode, durable: durable)
    }

    /// Removes the file an entry names, relative to its open folder (never through a link on the
    /// way); a file already gone is not an error.
    public func remove(_ entry: Entry) throws(FileIOError) {
        guard entry.exists else { return }
        if unlinkat(entry.parent, entry.name, 0) != 0 && errno != ENOENT {
            throw FileIOError(path: entry.path, operation: "remove", code: errno)
        }
        fsync(entry.parent)
    }

    /// Makes a new file that must not exist yet (`O_EXCL`), for backups that never overwrite.
    /// Returns false when the name is taken.
    public func create(_ entry: Entry, with bytes: [UInt8], mode: mode_t) throws(FileIOError) -> Bool {
        let file = openat(entry.parent, entry.name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        if file < 0 {
            if errno == EEXIST { return false }
            throw FileIOError(path: entry.path, operation: "create", code: errno)
        }
        var ok = false
        defer {
            close(file)
            if !ok { unlinkat(entry.parent, entry.name, 0) }
        }
        try DurableFile.writeAll(file, bytes, path: entry.path)
        if fsync(file) != 0 { throw FileIOError(path: entry.path, operation: "fsync", code: errno) }
        ok = true
        fsync(entry.parent)
        return true
    }

    private func refusal(_ relative: String, _ why: String) -> FileIOError {
        FileIOError(path: relative, operation: "use", code: EPERM, reason: "refused: \(why)")
    }

    static func components(of path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// `target` below `root` as a relative path, or nil when it is elsewhere.
    public static func relative(_ target: String, below root: String) -> String? {
        if target == root { return "." }
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return target.hasPrefix(prefix) ? String(target.dropFirst(prefix.count)) : nil
    }

    static func reopen(_ fd: Int32) -> Int32? {
        let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        return copy < 0 ? nil : copy
    }

    static func readLink(_ folder: Int32, _ name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlinkat(folder, name, &buffer, buffer.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The open folders of one walk, root first.
private struct Walk {
    var folders: [Int32]
    var names: [String] = []

    var top: Int32 { folders[folders.count - 1] }

    mutating func push(_ fd: Int32, name: String) {
        folders.append(fd)
        names.append(name)
    }

    mutating func pop() {
        close(folders.removeLast())
        names.removeLast()
    }

    mutating func popToRoot() {
        while folders.count > 1 { pop() }
    }

    func path(root: String, adding name: String? = nil) -> String {
        (names + (name.map { [$0] } ?? [])).reduce(root) { FileIO.join($0, $1) }
    }

    /// Hands the deepest folder to the entry and closes the rest.
    mutating func finish(name: String, info: stat?, root: String) -> ConfinedFolder.Entry {
        finish(names: [name], info: info, root: root)
    }

    mutating func finish(names tail: [String], info: stat? = nil, root: String) -> ConfinedFolder.Entry {
        let parent = folders.removeLast()
        closeAll()
        folders = []
        return ConfinedFolder.Entry(components: names + tail, info: info, missingFolders: tail.count - 1, root: root, parent: parent)
    }

    mutating func closeAll() {
        for fd in folders { close(fd) }
        folders = []
    }
}
