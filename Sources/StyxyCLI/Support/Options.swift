import ArgumentParser

/// `-m FILE`, shared by every command that reads a manifest.
struct ManifestOptions: ParsableArguments {
    @Option(name: [.customShort(Spelling.manifestShort), .customLong(Spelling.manifest)],
            help: "The manifest to read (default: styxy.yaml here, else in the nearest parent folder).",
            completion: .file(extensions: ["yaml", "yml"]))
    var manifest: String?
}

/// `--json`, for commands that report.
struct OutputOptions: ParsableArguments {
    @Flag(name: .customLong(Spelling.json), help: "Print machine-readable JSON (documented in docs/json.md).")
    var json = false
}
