#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StyxyCore

/// Where one output lands, decided before anything is written.
struct OutputTarget {
    /// The file to replace: a symlinked output is written through to the file it points at, so
    /// the link survives (a rename onto the link itself would replace it with a plain file).
    var path: String
    var exists: Bool
    /// Permission bits to keep; new files get 0644.
    var mode: mode_t
    /// Folders to create, outermost first, all inside the root.
    var missingFolders: [String]
    /// The deepest folder that exists: where the first new entry will be made.
    var existingFolder: String
}

/// Output path safety (DESIGN.md §5): a path is relative, has no `..`, and neither it nor any
/// folder on the way may lead outside the root, directly or through a symlink. Each existing
/// component is checked by its real path, so a symlinked folder inside the project that points
/// inside the project is fine and one that points elsewhere is refused.
enum OutputPath {
    static func resolve(_ relative: String, root: String) throws(StyxyError) -> OutputTarget {
        func refuse(_ message: String, hint: String? = nil) -> StyxyError {
            StyxyError(.cannotWriteOutput, message, file: relative.isEmpty ? "(empty output path)" : relative, hint: hint)
        }
        let inside = "output paths are relative to the project root and stay inside it"
        if relative.isEmpty { throw refuse("output path is empty") }
        if relative.hasPrefix("/") { throw refuse("output path is absolute", hint: inside) }
        if relative.utf8.contains(0) { throw refuse("output path contains a NUL byte") }
        let parts = relative.split(separator: "/").map(String.init).filter { $0 != "." }
        if parts.contains("..") { throw refuse("output path contains '..'", hint: inside) }
        if parts.isEmpty || relative.hasSuffix("/") { throw refuse("output path names a folder, not a file") }

        var folder = root
        for (index, part) in parts.enumerated() {
            let candidate = FileIO.join(folder, part)
            var info = stat()
            if lstat(candidate, &info) != 0 {
                guard errno == ENOENT else { throw refuse("cannot inspect \(candidate): \(FileIO.errorText())") }
                var missing: [String] = []
                var path = folder
                for name in parts[index...] {
                    path = FileIO.join(path, name)
                    missing.append(path)
                }
                let target = missing.removeLast()
                return OutputTarget(path: target, exists: false, mode: 0o644, missingFolders: missing, existingFolder: folder)
            }
            var real = candidate
            if (info.st_mode & S_IFMT) == S_IFLNK {
                guard let resolved = FileIO.realPath(candidate) else {
                    throw refuse("\(candidate) is a symlink to something that does not exist")
                }
                guard isInside(resolved, root: root) else {
                    throw refuse("\(candidate) is a symlink to \(resolved), outside the project root \(root)", hint: inside)
                }
                real = resolved
                if stat(real, &info) != 0 { throw refuse("cannot inspect \(real): \(FileIO.errorText())") }
            }
            let kind = info.st_mode & S_IFMT
            if index == parts.count - 1 {
                if kind == S_IFDIR { throw refuse("\(real) is a folder") }
                if kind != S_IFREG { throw refuse("\(real) is not a regular file") }
                return OutputTarget(
                    path: real, exists: true, mode: info.st_mode & 0o777, missingFolders: [],
                    existingFolder: FileIO.directory(of: real))
            }
            if kind != S_IFDIR { throw refuse("\(real) is not a folder") }
            folder = real
        }
        fatalError("unreachable: the loop returns at the last component")
    }

    static func isInside(_ path: String, root: String) -> Bool {
        path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }
}
