// swift-tools-version:6.0
// libFuzzer targets for Styxy, kept out of the root package so its build stays untouched.
// Build and run with fuzz/run.sh; docs/fuzzing.md explains the setup and records the runs.
import PackageDescription

/// A fuzz target: FuzzSupport and the named library products of the root package. libFuzzer
/// supplies `main`; the targets only define LLVMFuzzerTestOneInput.
func fuzzer(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: "styxy") },
        swiftSettings: [.unsafeFlags(["-parse-as-library"])]
    )
}

let package = Package(
    name: "styxy-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "styxy", path: ".."),
    ],
    targets: [
        // The checks every target holds outcomes to, and a scratch folder.
        .target(name: "FuzzSupport", dependencies: [.product(name: "StyxyCore", package: "styxy")]),
        // styxy.yaml through ManifestLoader.parse, and the same bytes as the user configuration.
        fuzzer("ManifestFuzzer", ["StyxyCore", "StyxyManifest", "StyxyRender"]),
        // A template through OutputTemplate's strict compile, then rendered when it compiles.
        fuzzer("TemplateFuzzer", ["StyxyCore", "StyxyRender"]),
        // Ledger bytes through LedgerCodec's reader and writer, both ways, and through the plain
        // reference reader, which must agree (and the time and duration parsers, on the same
        // bytes as text).
        fuzzer("LedgerFuzzer", ["StyxyCore", "StyxyManifest", "StyxyEngine", "StyxyLedgerReference"]),
    ],
    swiftLanguageModes: [.v6]
)
