import ArgumentParser
import StyxyCore
import StyxyManifest

/// `-m FILE`, shared by every command that reads a manifest.
struct ManifestOptions: ParsableArguments {
    @Option(name: [.customShort("m"), .customLong("manifest")], help: "The manifest to read.",
            completion: .file(extensions: ["yaml", "yml"]))
    var manifest: String = ManifestOptions.defaultPath

    static let defaultPath = ManifestLoader.defaultFileName
}

/// `--json`, for commands that report.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print machine-readable JSON (documented in docs/json.md).")
    var json = false
}
