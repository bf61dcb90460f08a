// swift-tools-version:6.0
import PackageDescription

// The commit `styxy --version` names. `make` passes it (STYXY_COMMIT=<hash>[-modified]); a plain
// `swift build` has none and the binary says "unknown commit". Only hex digits, letters and '-'
// pass, so the value is always a valid C string literal.
let buildCommit = String((Context.environment["STYXY_COMMIT"] ?? "").filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }.prefix(64))

/// By default the compiler reaches a concrete generic type's metadata (`KeyedEncodingContainer<
/// CodingKeys>`, `Dictionary<String, Lease>`) through its mangled name, and the runtime's first
/// demangling of each checks the type's conformances by scanning every protocol conformance in
/// the binary: about 250,000 instructions a time, dozens of times in a warm resolve. Reached
/// through accessors instead, they cost next to nothing (docs/benchmarks.md has the counts).
let fastMetadata: [SwiftSetting] = [.unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"])]

let package = Package(
    name: "styxy",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "styxy", targets: ["styxy"]),
        // For the fuzz package in fuzz/, which builds these with the fuzzer instrumentation.
        .library(name: "StyxyCore", targets: ["StyxyCore"]),
        .library(name: "StyxyManifest", targets: ["StyxyManifest"]),
        .library(name: "StyxyRender", targets: ["StyxyRender"]),
        .library(name: "StyxyEngine", targets: ["StyxyEngine"]),
        // The ledger's plain reference reader, for the fuzz package's differential (test code).
        .library(name: "StyxyLedgerReference", targets: ["StyxyLedgerReference"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
    ],
    targets: [
        // The system libyaml; only StyxyManifest imports it, and only internally.
        .systemLibrary(
            name: "CYaml",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        // Diagnostics, exit codes, durable file writes: what every domain shares.
        .target(name: "StyxyCore", swiftSettings: fastMetadata),
        // styxy.yaml, the catalog and the user configuration: parsing and validation.
        .target(name: "StyxyManifest", dependencies: ["CYaml", "StyxyCore"], swiftSettings: fastMetadata),
        // What the operating system says about ports.
        .target(name: "StyxyProbe", dependencies: ["StyxyCore"], swiftSettings: fastMetadata),
        // The ledger, its lock and port allocation.
        .target(name: "StyxyEngine", dependencies: ["StyxyCore", "StyxyManifest", "StyxyProbe"], swiftSettings: fastMetadata),
        // Templates and the output writer.
        .target(
            name: "StyxyRender",
            dependencies: ["StyxyCore"],
            swiftSettings: fastMetadata
        ),
        // The calls StyxyProcess needs that Swift cannot import: prctl is variadic, pipe2 and the
        // _np spawn actions need _GNU_SOURCE, and a signal handler must be C, not Swift.
        // DWARF 4, like the Swift code: the Debian valgrind that measures the instruction budgets
        // cannot read clang's default DWARF 5 and gives up on the whole binary.
        .target(name: "CStyxyProcess", cSettings: [.unsafeFlags(["-gdwarf-4"])]),
        // The build's commit, for `styxy --version` (see `buildCommit` above); DWARF 4 as above.
        .target(
            name: "CStyxyBuildInfo",
            cSettings: [.unsafeFlags(["-gdwarf-4"])] + (buildCommit.isEmpty ? [] : [.define("STYXY_COMMIT", to: "\"\(buildCommit)\"")])
        ),
        // Services run as one job (the process half of `styxy up`): spawning, prefixed output,
        // signals, stopping every descendant.
        .target(name: "StyxyProcess", dependencies: ["CStyxyProcess", "StyxyCore"], swiftSettings: fastMetadata),
        // The use cases (resolve, run, up, wait, env, matrix, lease, check, scan, doctor, validate,
        // init) as functions of one injected environment, returning report values; no printing,
        // no parsing.
        .target(name: "StyxyKit", dependencies: ["StyxyCore", "StyxyManifest", "StyxyProbe", "StyxyEngine", "StyxyRender",
                                                 "StyxyProcess"],
                swiftSettings: fastMetadata),
        // The command line: parse, call StyxyKit, print. A library so tests can drive it in-process.
        .target(
            name: "StyxyCLI",
            dependencies: [
                "StyxyCore", "StyxyManifest", "StyxyProbe", "StyxyEngine", "StyxyRender", "StyxyKit", "CStyxyBuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: fastMetadata
        ),
        .executableTarget(name: "styxy", dependencies: ["StyxyCLI"], swiftSettings: fastMetadata),

        // What the test targets share: temporary folders, the fake probe and clock, ports and
        // listeners of the test's own, processes. Test code only, in no product.
        .target(name: "StyxyTestSupport", dependencies: ["StyxyCore", "StyxyProbe", "StyxyEngine", "StyxyKit", "StyxyCLI"],
                path: "Tests/StyxyTestSupport"),
        // The ledger's rules read the plain way (the JSON tree), the generator of ledgers to hold
        // LedgerCodec to them, and the comparison: shared by StyxyEngineTests and fuzz/.
        .target(name: "StyxyLedgerReference", dependencies: ["StyxyCore", "StyxyEngine"], path: "Tests/StyxyLedgerReference"),

        .testTarget(name: "StyxyCoreTests", dependencies: ["StyxyCore", "StyxyTestSupport"]),
        .testTarget(name: "StyxyManifestTests", dependencies: ["StyxyManifest", "StyxyRender", "StyxyTestSupport"]),
        .testTarget(name: "StyxyProbeTests", dependencies: ["StyxyProbe", "StyxyTestSupport"]),
        .testTarget(name: "StyxyEngineTests", dependencies: ["StyxyEngine", "StyxyLedgerReference", "StyxyProbe", "StyxyTestSupport"]),
        // swift-mustache rendered templates until StyxyRender's own engine replaced it (with it, full
        // Foundation and its ICU data: 50 MB of the binary); it stays as the reference the engine
        // is compared with, byte for byte and error for error (MustacheDifferentialTests).
        .testTarget(name: "StyxyRenderTests", dependencies: ["StyxyRender", "StyxyTestSupport",
                                                              .product(name: "Mustache", package: "swift-mustache")]),
        .testTarget(name: "StyxyTestSupportTests", dependencies: ["StyxyProbe", "StyxyTestSupport"]),
        .testTarget(name: "StyxyCLITests", dependencies: ["StyxyCLI", "StyxyKit", "StyxyTestSupport"]),
        // A process of its own for each supervisor under test: a supervisor reaps every child of
        // its process and catches SIGINT and SIGTERM, which the test runner must keep for itself.
        .executableTarget(name: "SupervisorTestHost", dependencies: ["StyxyProcess"], path: "Tests/SupervisorTestHost"),
        .testTarget(name: "StyxyProcessTests", dependencies: ["StyxyProcess", "StyxyCore", "SupervisorTestHost"]),
    ],
    swiftLanguageModes: [.v6]
)
