#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StyxyCore

/// Which generated files git would not ignore. They hold this machine's ports, so committing one
/// hands every teammate the author's ports. Git itself answers (`git check-ignore`), because
/// `.gitignore` rules (nested files, negations, global excludes) are git's to interpret. Used by
/// `init` only, never on the resolve path. Nil when git is missing or the folder is not in a
/// work tree: then there is nothing to say.
package enum GitIgnoreCheck {
    package static func unignored(_ paths: [String], in folder: String) -> [String]? {
        guard !paths.isEmpty else { return [] }
        guard let (status, output) = GitCommand.run(["check-ignore", "--"] + paths, in: folder) else { return nil }
        // 0: some are ignored; 1: none are; anything else (128: not a repository) says nothing.
        guard status == 0 || status == 1 else { return nil }
        let ignored = Set(output.split(separator: "\n").map(String.init))
        return paths.filter { !ignored.contains($0) }
    }
}
