import StyxyCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The folder holding the ledger, its backup and its lock.
///
/// `$STYXY_HOME` when set, else `$XDG_STATE_HOME/styxy`, else `~/.local/state/styxy`. It is created
/// 0700; one owned by another user, or writable by group or others, is refused, since whoever can
/// write it can hand our ports to anyone.
public struct StateHome: Sendable {
    public let path: String

    public var ledgerPath: String { FileIO.join(path, "ledger.json") }
    public var backupPath: String { FileIO.join(path, "ledger.json.bak") }
    public var lockPath: String { FileIO.join(path, "ledger.lock") }

    /// `path` in any spelling; it is kept in the one form every check below holds for.
    public init(path: String) {
        self.path = Self.normalized(path)
    }

    /// An absolute path without `.`, `..`, repeated or trailing slashes. A trailing slash or `.`
    /// matters: `lstat("link/")` follows the link, so `STYXY_HOME=/state-link/` would pass the
    /// symbolic-link check that `/state-link` fails. `..` is resolved as the kernel would (`cd -P`):
    /// the part before it is made canonical when it exists, so `a/link/..` is the folder above
    /// the link's target, never `a`.
    static func normalized(_ path: String) -> String {
        if isNormal(path) { return path }
        var parts: [Substring] = []
        for part in FileIO.absolute(path).split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                let prefix = "/" + parts.joined(separator: "/")
                if let real = FileIO.realPath(prefix) {
                    parts = real.split(separator: "/", omittingEmptySubsequences: true)
                }
                _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Already absolute, with no empty, `.` or `..` component and no trailing slash: the usual
    /// spelling, checked on bytes so a warm run does not pay for splitting and joining.
    static func isNormal(_ path: String) -> Bool {
        let bytes = Array(path.utf8), slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        guard bytes.first == slash else { return false }
        if bytes.count == 1 { return true }
        for index in bytes.indices where bytes[index] == slash {
            let rest = bytes[(index + 1)...]
            guard let next = rest.first, next != slash else { return false }
            if next == dot {
                let component = rest.prefix { $0 != slash }
                if component.count == 1 || (component.count == 2 && component.last == dot) { return false }
            }
        }
        return true
    }

    public static func locate(environment: [String: String]) throws(StyxyError) -> StateHome {
        if let explicit = environment["STYXY_HOME"], !explicit.isEmpty {
            return StateHome(path: explicit)
        }
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") {
            return StateHome(path: FileIO.join(xdg, "styxy"))
        }
        if let home = environment["HOME"], home.hasPrefix("/") {
            return StateHome(path: FileIO.join(home, ".local/state/styxy"))
        }
        throw StyxyError(.ledgerIO, "cannot find a state folder: neither STYXY_HOME nor HOME is set",
                         hint: "set STYXY_HOME to a private folder")
    }

    /// Checks the folder is safe to trust; creates it (and missing parents) when absent.
    public func prepare(create: Bool) throws(StyxyError) {
        var info = stat()
        if lstat(path, &info) != 0 {
            guard errno == ENOENT else {
                throw StyxyError(.ledgerIO, "cannot inspect the state folder: \(FileIO.errorText())", file: path)
            }
            guard create else { return }
            try makeFolder(path)
            return
        }
        try verify(info)
    }

    private func makeFolder(_ folder: String) throws(StyxyError) {
        let parent = FileIO.directory(of: folder)
        if parent != folder, !FileIO.exists(parent) { try makeFolder(parent) }
        if mkdir(folder, 0o700) != 0 && errno != EEXIST {
            throw StyxyError(.ledgerIO, "cannot create the state folder: \(FileIO.errorText())", file: folder,
                             hint: "set STYXY_HOME to a folder you can write")
        }
    }

    private func verify(_ info: stat) throws(StyxyError) {
        let kind = info.st_mode & S_IFMT
        if kind == S_IFLNK {
            throw StyxyError(.ledgerIO, "the state folder is a symbolic link; refusing to follow it", file: path,
                             hint: "point STYXY_HOME at the real folder")
        }
        guard kind == S_IFDIR else {
            throw StyxyError(.ledgerIO, "the state folder is not a folder", file: path)
        }
        if info.st_uid != geteuid() {
            throw StyxyError(.ledgerIO, "the state folder belongs to user \(info.st_uid), not to you (\(geteuid()))", file: path,
                             hint: "use a folder of your own: set STYXY_HOME")
        }
        if info.st_mode & 0o022 != 0 {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw StyxyError(.ledgerIO, "the state folder is writable by group or others (mode \(mode))", file: path,
                             hint: "run `chmod 700 \(path)`")
        }
    }
}
