import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StyxyCore
import StyxyManifest

/// `-m FILE`, shared by every command that reads a manifest.
struct ManifestOptions: ParsableArguments {
    @Option(name: [.customShort("m"), .customLong("manifest")],
            help: "The manifest to read (default: styxy.yaml here, else in the nearest parent folder).",
            completion: .file(extensions: ["yaml", "yml"]))
    var given: String?

    /// The manifest this command reads: `-m FILE` as given, else the nearest `styxy.yaml`.
    var manifest: String { Self.locate(given) }

    static let defaultPath = ManifestLoader.defaultFileName

    /// `given` when there is one; otherwise `styxy.yaml` in the current folder or the nearest
    /// parent that has one, as a relative path (`../../styxy.yaml`), so messages point at it the
    /// way the user would type it. A manifest in a parent folder counts only when the current
    /// user owns it (the link itself, if it is one): someone else's `/tmp/styxy.yaml` must not
    /// decide where this user's outputs go.
    /// With none found, `styxy.yaml`, whose absence the loader reports.
    static func locate(_ given: String?, from start: String = FileIO.currentDirectory()) -> String {
        if let given { return given }
        var folder = start
        var up = ""
        while true {
            let candidate = FileIO.join(folder, defaultPath)
            // lstat: a symbolic link someone else planted counts as theirs, wherever it points.
            var info = stat()
            if lstat(candidate, &info) == 0 {
                if up.isEmpty || info.st_uid == geteuid() { return up + defaultPath }
                return defaultPath
            }
            // A current folder that cannot be named (deleted, say) is searched alone.
            guard folder.hasPrefix("/"), folder != "/" else { return defaultPath }
            folder = FileIO.directory(of: folder)
            up += "../"
        }
    }
}

/// `--json`, for commands that report.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print machine-readable JSON (documented in docs/json.md).")
    var json = false
}
