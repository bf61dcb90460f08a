import Foundation
import StyxyCore
@testable import StyxyManifest
import StyxyTestSupport
import Testing

@Suite("Built-in catalog")
struct BuiltinCatalogTests {
    @Test func embeddedCopyMatchesConfigCatalog() throws {
        let source = try Repository.bytes(Repository.root + "/config/catalog.yaml")
        #expect(
            Array(builtinCatalogSource.utf8) == source,
            "Sources/StyxyManifest/BuiltinCatalog.generated.swift is stale: run `python3 scripts/generate-embedded.py` after editing config/catalog.yaml"
        )
    }

    /// DESIGN.md §4, written out here rather than read from config/catalog.yaml, so a wrong edit there
    /// shows up as a difference.
    static let expected: [(name: String, range: ClosedRange<Int>, preferred: [Int])] = [
        ("dev", 3000...3099, [3000, 3001, 3002, 3003]),
        ("api", 8000...8099, [8000, 8001, 8002, 8003]),
        ("database", 5430...5499, [5430, 5431, 5432, 5433]),
        ("auth", 9099...9199, [9099, 9100, 9101, 9102]),
        ("functions", 5000...5099, [5001, 5002, 5003, 5004]),
        ("ui", 4000...4099, [4000, 4001, 4002, 4003]),
        ("hub", 4400...4499, [4400, 4401, 4402, 4403]),
        ("storybook", 6006...6029, [6006, 6007, 6008, 6009]),
        ("test", 9200...9299, [9200, 9201, 9202, 9203]),
        ("proxy", 8100...8199, [8100, 8101, 8102, 8103]),
        ("docs", 4100...4199, [4100, 4101, 4102, 4103]),
        ("monitoring", 3100...3199, [3100, 3101, 3102, 3103]),
        ("build", 8200...8299, [8200, 8201, 8202, 8203]),
        ("infrastructure", 6370...6399, [6370, 6371, 6372, 6373]),
        ("ai", 11400...11499, [11430, 11431, 11432, 11433]),
        ("messaging", 9050...9098, [9050, 9051, 9052, 9053]),
        ("coordination", 9870...9899, [9870, 9871, 9872, 9873]),
    ]

    @Test func hasExactlyTheDesignedTypes() {
        let catalog = Catalog.builtin()
        #expect(catalog.types.count == 17)
        #expect(Set(catalog.types.keys) == Set(Self.expected.map(\.name)))
        for (name, range, preferred) in Self.expected {
            guard let type = catalog.types[name] else { continue }
            #expect(type.range == range, "\(name)")
            #expect(type.preferred == preferred, "\(name)")
            #expect(type.origin == "built-in", "\(name)")
            #expect(!type.description.isEmpty, "\(name) has no description")
        }
        #expect(catalog.reserved.isEmpty)
        #expect(catalog.lockTimeoutSeconds == nil)
        #expect(catalog.configPath == nil)
    }

    @Test func sortedTypesAreByName() {
        let names = Catalog.builtin().sortedTypes.map(\.name)
        #expect(names == Self.expected.map(\.name).sorted())
    }
}

@Suite("User configuration")
struct UserConfigurationTests {
    static func fixture(_ name: String) -> String { "\(Repository.configFixtures)/\(name)" }

    static func load(_ environment: [String: String]) -> Result<Catalog, StyxyError> {
        do {
            return .success(try Catalog.load(environment: environment))
        } catch {
            return .failure(error)
        }
    }

    static func loaded(_ name: String) throws -> Catalog {
        switch load(["STYXY_CONFIG": fixture(name)]) {
        case .success(let catalog): return catalog
        case .failure(let error):
            Issue.record("config/\(name) did not load:\n\(error)")
            throw error
        }
    }

    static func failure(_ name: String) -> StyxyError? {
        guard case .failure(let error) = load(["STYXY_CONFIG": fixture(name)]) else {
            Issue.record("config/\(name) loaded; it should fail")
            return nil
        }
        return error
    }

    @Test func addsAType() throws {
        let catalog = try Self.loaded("adds-type.yaml")
        let queue = try #require(catalog.types["queue"])
        #expect(queue == ServiceType(name: "queue", description: "Work queues", range: 7000...7099, preferred: [7010, 7000],
                                     origin: Self.fixture("adds-type.yaml")))
        #expect(catalog.types.count == 18)
        #expect(catalog.types["dev"] == Catalog.builtin().types["dev"])
        #expect(catalog.configPath == Self.fixture("adds-type.yaml"))
    }

    @Test func changingARangeDropsPreferredPortsOutsideIt() throws {
        let catalog = try Self.loaded("changes-range.yaml")
        let dev = try #require(catalog.types["dev"])
        #expect(dev.range == 3002...3050)
        #expect(dev.preferred == [3002, 3003])
        #expect(dev.description == Catalog.builtin().types["dev"]?.description)
        #expect(dev.origin == Self.fixture("changes-range.yaml"))
        let api = try #require(catalog.types["api"])
        #expect(api.range == 18000...18099 && api.preferred == [18080])
        #expect(catalog.types["ui"] == Catalog.builtin().types["ui"])
    }

    @Test func reservesPortsAndRangesAndSetsTheLockTimeout() throws {
        let catalog = try Self.loaded("reserves.yaml")
        #expect(catalog.reserved == [3000...3000, 8000...8010, 1...1023])
        #expect(catalog.isReserved(3000) && catalog.isReserved(8005) && catalog.isReserved(80))
        #expect(!catalog.isReserved(3001) && !catalog.isReserved(8011) && !catalog.isReserved(1024))
        #expect(catalog.lockTimeoutSeconds == 10)
        #expect(catalog.types == Catalog.builtin().types)
    }

    /// A personal reservation never makes a committed manifest invalid: the manifest loads with a
    /// warning, and resolve falls back to the range (FindingTests shows the finding).
    @Test func aManifestPreferringAReservedPortLoadsWithAWarning() throws {
        let catalog = try Self.loaded("reserves.yaml")
        let loader = ManifestLoader(catalog: catalog, builtinTemplates: builtinTemplateNames)
        let text = "services:\n  web:\n    type: dev\n    port: 3000\n  api:\n    type: api\n    port: 8011\n"
        let manifest = try loader.parse(Array(text.utf8), path: "styxy.yaml", root: "/")
        #expect(manifest.warnings.map(\.rendered) == [
            "styxy.yaml:4:11: warning: services.web.port: port 3000 is reserved in your configuration, so web will get another port of its range (see \(Self.fixture("reserves.yaml")))",
        ])
    }

    @Test func emptyFileMeansNoChanges() throws {
        let catalog = try Self.loaded("empty.yaml")
        #expect(catalog.types == Catalog.builtin().types)
        #expect(catalog.reserved.isEmpty)
    }

    @Test("a problem in the configuration fails closed", arguments: [
        ("typo-key.yaml", ["2:1: error: reserverd: unknown key 'reserverd' (did you mean 'reserved'?)"]),
        ("typo-type-key.yaml", [
            "3:5: error: types.queue.ranges: unknown key 'ranges' (did you mean 'range'?)",
            "3:5: error: types.queue: a new type needs a range (add range: [A, B])",
        ]),
        ("preferred-outside-range.yaml", ["4:17: error: types.queue.preferred[0]: preferred port 7100 is outside the type's range 7000-7099"]),
        ("bad-lock-timeout.yaml", ["1:15: error: lock_timeout: expected a duration like 500ms, 10s or 2m, found '10'"]),
        ("new-type-without-range.yaml", ["3:5: error: types.queue: a new type needs a range (add range: [A, B])"]),
    ])
    func failsClosed(name: String, expected: [String]) throws {
        let error = try #require(Self.failure(name))
        #expect(error.exitStatus == .invalidInput)
        #expect(error.exitStatus.rawValue == 65)
        #expect(error.diagnostics.map(\.rendered) == expected.map { "\(Self.fixture(name)):\($0)" })
    }

    @Test func missingFileNamedBySTYXY_CONFIGIsAnError() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/nowhere.yaml"
        guard case .failure(let error) = Self.load(["STYXY_CONFIG": path, "HOME": folder.path]) else {
            Issue.record("a missing STYXY_CONFIG file was ignored")
            return
        }
        #expect(error.exitStatus == .invalidInput)
        #expect(error.diagnostics.map(\.rendered) == [
            "\(path): error: the configuration file named by STYXY_CONFIG does not exist (create it, or unset STYXY_CONFIG)",
        ])
    }

    @Test func noConfigurationMeansTheBuiltinCatalog() throws {
        let home = try TemporaryFolder("home")
        let catalog = try #require(try? Self.load(["HOME": home.path]).get())
        #expect(catalog.types == Catalog.builtin().types)
        #expect(catalog.reserved.isEmpty)
        #expect(catalog.lockTimeoutSeconds == nil)
        #expect(catalog.configPath == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.path).isEmpty, "loading wrote into HOME")
    }

    @Test func noEnvironmentAtAllMeansTheBuiltinCatalog() throws {
        let catalog = try #require(try? Self.load([:]).get())
        #expect(catalog.types == Catalog.builtin().types && catalog.configPath == nil)
    }

    @Test func configurationIsFoundUnderHOME() throws {
        let home = try TemporaryFolder("home")
        let path = try home.write(".config/styxy/config.yaml", "reserved: [4000]\n")
        let catalog = try Self.load(["HOME": home.path]).get()
        #expect(catalog.reserved == [4000...4000])
        #expect(catalog.configPath == path)
    }

    @Test func XDG_CONFIG_HOMEComesBeforeHOME() throws {
        let home = try TemporaryFolder("home")
        try home.write(".config/styxy/config.yaml", "reserved: [4000]\n")
        let xdg = try TemporaryFolder("xdg")
        let path = try xdg.write("styxy/config.yaml", "reserved: [5000]\n")
        let catalog = try Self.load(["HOME": home.path, "XDG_CONFIG_HOME": xdg.path]).get()
        #expect(catalog.reserved == [5000...5000])
        #expect(catalog.configPath == path)
        // A relative XDG_CONFIG_HOME is ignored, as the XDG specification says.
        #expect(try Self.load(["HOME": home.path, "XDG_CONFIG_HOME": "relative"]).get().reserved == [4000...4000])
    }

    @Test func STYXY_CONFIGComesFirst() throws {
        let home = try TemporaryFolder("home")
        try home.write(".config/styxy/config.yaml", "reserved: [4000]\n")
        let catalog = try Self.load(["HOME": home.path, "STYXY_CONFIG": Self.fixture("adds-type.yaml")]).get()
        #expect(catalog.reserved.isEmpty)
        #expect(catalog.types["queue"] != nil)
    }

    @Test func anInvalidFileUnderHOMEIsNotSilentlySkipped() throws {
        let home = try TemporaryFolder("home")
        let path = try home.write(".config/styxy/config.yaml", "types:\n  dev:\n    range: [3099, 3000]\n")
        guard case .failure(let error) = Self.load(["HOME": home.path]) else {
            Issue.record("an invalid configuration under HOME was ignored")
            return
        }
        #expect(error.diagnostics.map(\.rendered) == ["\(path):3:12: error: types.dev.range: range 3099-3000 is reversed (write [3000, 3099])"])
    }
}

/// The catalog compiled in as values must say exactly what config/catalog.yaml says when Styxy's
/// own loader reads it (scripts/generate-embedded.py makes the values from the YAML).
@Suite("Compiled catalog")
struct CompiledCatalogTests {
    @Test func theCompiledValuesEqualTheLoadedYAML() throws {
        let loaded = try Catalog.builtinFromSource()
        #expect(Catalog.builtin().types == loaded.types, "run python3 scripts/generate-embedded.py")
        #expect(loaded.types.count == 17)
    }
}
