// swift-tools-version:6.0
// libFuzzer targets for Styxy, kept out of the root package so its build stays untouched.
// Build and run with fuzz/run.sh; docs/fuzzing.md explains the setup and records the runs.
import PackageDescription

// libFuzzer supplies `main`; the targets only define LLVMFuzzerTestOneInput.
let fuzzerEntry: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

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
        .executableTarget(
            name: "ManifestFuzzer",
            dependencies: [
                "FuzzSupport",
                .product(name: "StyxyCore", package: "styxy"),
                .product(name: "StyxyManifest", package: "styxy"),
                .product(name: "StyxyRender", package: "styxy"),
            ],
            swiftSettings: fuzzerEntry
        ),
        // A template through OutputTemplate's strict compile, then rendered when it compiles.
        .executableTarget(
            name: "TemplateFuzzer",
            dependencies: [
                "FuzzSupport",
                .product(name: "StyxyCore", package: "styxy"),
                .product(name: "StyxyRender", package: "styxy"),
            ],
            swiftSettings: fuzzerEntry
        ),
        // Ledger bytes through LedgerCodec's reader and writer, both ways (and the time and
        // duration parsers, on the same bytes as text).
        .executableTarget(
            name: "LedgerFuzzer",
            dependencies: [
                "FuzzSupport",
                .product(name: "StyxyCore", package: "styxy"),
                .product(name: "StyxyManifest", package: "styxy"),
                .product(name: "StyxyEngine", package: "styxy"),
            ],
            swiftSettings: fuzzerEntry
        ),
    ],
    swiftLanguageModes: [.v6]
)
