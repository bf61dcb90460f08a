import Foundation
import StyxyCore
@testable import StyxyManifest
import StyxyTestSupport
import Testing

enum ValidFixtures {
    static let folder = Repository.manifestFixtures + "/valid"
    static let names = Repository.files(in: folder, endingWith: ".yaml")

    static func load(_ name: String) throws -> Manifest {
        try loadRecordingDiagnostics("\(folder)/\(name)")
    }
}

/// Loads with the built-in catalog; on failure the test shows every diagnostic, not just "threw".
func loadRecordingDiagnostics(_ path: String) throws -> Manifest {
    do {
        return try builtinLoader().load(path: path)
    } catch {
        Issue.record("\(path) did not load:\n\(error.diagnostics.map(\.rendered).joined(separator: "\n"))")
        throw error
    }
}

/// The example projects under `manifests/`, each of which must stay valid.
enum ExampleManifests {
    static let folder = Repository.root + "/manifests"
    static let paths: [String] = {
        let projects = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return projects.sorted().map { "\(folder)/\($0)/\(ManifestLoader.defaultFileName)" }.filter(FileManager.default.fileExists)
    }()
}

@Suite("Valid manifests")
struct ValidManifestTests {
    @Test("loads", arguments: ValidFixtures.names)
    func loads(_ name: String) throws {
        let manifest = try ValidFixtures.load(name)
        #expect(!manifest.services.isEmpty)
        #expect(manifest.root == FileIO.realPath(ValidFixtures.folder))
    }

    @Test func thereAreValidFixtures() {
        #expect(ValidFixtures.names.count >= 8, "found \(ValidFixtures.names) in \(ValidFixtures.folder)")
    }

    @Test("example manifest loads", arguments: ExampleManifests.paths)
    func exampleLoads(_ path: String) throws {
        let manifest = try loadRecordingDiagnostics(path)
        #expect(!manifest.services.isEmpty)
        #expect(manifest.root == FileIO.realPath(FileIO.directory(of: path)))
    }

    @Test func examplesAreFound() {
        #expect(ExampleManifests.paths.count >= 2, "expected manifests/*/styxy.yaml under \(ExampleManifests.folder)")
    }

    @Test func privilegedPortsNeedTheFlag() throws {
        let manifest = try ValidFixtures.load("privileged-allowed.yaml")
        let web = try #require(manifest.service(named: "web"))
        #expect(web.allowPrivileged)
        #expect(web.ports.map(\.preferred) == [80])
        let tls = try #require(manifest.service(named: "tls"))
        #expect(tls.range == 443...443 && tls.allowPrivileged)
        #expect(manifest.service(named: "api")?.ports.first?.compose == ComposeTarget(service: "api", target: 80))
    }

    @Test func quotedStringsAreStrings() throws {
        let manifest = try ValidFixtures.load("quoted-strings.yaml")
        #expect(manifest.project == "shop")
        let web = try #require(manifest.service(named: "web"))
        #expect(web.type == "dev")
        #expect(web.ports.first?.env == ["WEB_PORT"])
        #expect(web.command == "vite --port {{port}} --host '0.0.0.0'")
        #expect(web.transport == .tcp)
        #expect(manifest.service(named: "api")?.ports.first?.env == ["API_PORT", "PORT"])
        #expect(manifest.outputs.map(\.path) == [".env"])
    }

    @Test func explicitStringTags() throws {
        let manifest = try ValidFixtures.load("explicit-str-tags.yaml")
        #expect(manifest.project == "1234")
        let web = try #require(manifest.service(named: "web"))
        #expect(web.ports.first?.env == ["PORT"])
        #expect(web.command == "3000")
    }

    @Test func anchorsAreReused() throws {
        let manifest = try ValidFixtures.load("anchors-and-aliases.yaml")
        #expect(manifest.services.map(\.name) == ["admin", "docs", "metrics", "traces", "web"])
        let admin = try #require(manifest.service(named: "admin"))
        #expect(admin.type == "dev" && admin.command == "vite --port {{port}}")
        #expect(admin.ports.first?.env == ["ADMIN_PORT"], "an aliased body still gets the alias's own default variable")
        #expect(manifest.service(named: "traces")?.range == 9400...9409)
        #expect(manifest.service(named: "traces")?.transport == .udp)
        #expect(manifest.service(named: "docs")?.command == "vite --port {{port}}")
        #expect(manifest.outputs.map(\.template) == [.builtin("dotenv"), .builtin("shell"), .builtin("shell")])
    }

    @Test func namedPortsWithNullBodies() throws {
        let manifest = try ValidFixtures.load("named-ports-null-bodies.yaml")
        let emulators = try #require(manifest.service(named: "emulators"))
        #expect(emulators.hasNamedPorts)
        #expect(emulators.ports.map(\.name) == ["auth", "firestore", "hub", "logging", "ui"])
        #expect(emulators.ports.map(\.env) == [
            ["EMULATORS_AUTH_PORT"], ["FIRESTORE_EMULATOR_PORT"], ["EMULATORS_HUB_PORT"], ["EMULATORS_LOGGING_PORT"], ["EMULATORS_UI_PORT"],
        ])
        #expect(emulators.ports.map(\.preferred) == [nil, 8080, nil, nil, nil])
        #expect(emulators.typePreferred == [5001, 5002, 5003, 5004])
    }

    @Test func rangeOnlyService() throws {
        let metrics = try #require(try ValidFixtures.load("range-only.yaml").service(named: "metrics"))
        #expect(metrics.type == nil)
        #expect(metrics.range == 9400...9409)
        #expect(metrics.typePreferred.isEmpty)
        #expect(metrics.ports.first?.env == ["METRICS_PORT"])
    }

    @Test func unicodeProjectName() throws {
        #expect(try ValidFixtures.load("project-name-unicode.yaml").project == "Café Ünïcode — 東京 shop")
    }

    @Test func projectDefaultsToTheFolderName() throws {
        #expect(try ValidFixtures.load("range-only.yaml").project == "valid")
    }

    @Test func flowStyleAndNormalisedOutputPaths() throws {
        let manifest = try ValidFixtures.load("flow-style.yaml")
        #expect(manifest.services.map(\.name) == ["db", "web"])
        #expect(manifest.service(named: "db")?.ports.first?.env == ["PGPORT", "DB_PORT"])
        #expect(manifest.outputs.map(\.path) == [".env"])
    }

    @Test func ownTemplateResolvesBesideTheManifest() throws {
        let manifest = try ValidFixtures.load("own-template.yaml")
        let resolved = try #require(FileIO.realPath(ValidFixtures.folder)) + "/./own-template.mustache"
        #expect(manifest.outputs.first?.template == .file(written: "./own-template.mustache", resolved: resolved))
        #expect(manifest.outputs.map(\.path) == ["docs/PORTS.md", ".styxy/env/.env"])
    }

    @Test func byteOrderMarkAndWindowsLineEnds() throws {
        #expect(try ValidFixtures.load("utf8-bom.yaml").services.map(\.name) == ["web"])
        #expect(try ValidFixtures.load("crlf-line-ends.yaml").service(named: "web")?.ports.first?.preferred == 3000)
    }
}

@Suite("Loading from disk")
struct ManifestFileTests {
    @Test func missingManifestSaysWhatToRun() throws {
        let folder = try TemporaryFolder()
        let path = folder.path + "/styxy.yaml"
        let outcome = LoadOutcome { () throws(StyxyError) in try builtinLoader().load(path: path) }
        guard case .failed(let status, let lines) = outcome else {
            Issue.record("a missing manifest loaded")
            return
        }
        #expect(status == .invalidInput)
        #expect(lines == ["\(path): error: no manifest here (run `styxy init` to create one, or name another with -m FILE)"])
    }

    @Test func aFolderIsNotAManifest() throws {
        let folder = try TemporaryFolder()
        let outcome = LoadOutcome { () throws(StyxyError) in try builtinLoader().load(path: folder.path) }
        guard case .failed(let status, let lines) = outcome else {
            Issue.record("a folder loaded as a manifest")
            return
        }
        #expect(status == .invalidInput)
        #expect(lines.count == 1 && lines[0].hasPrefix("\(folder.path): error: cannot read the manifest"), "\(lines)")
    }

    @Test func oversizedManifestIsRefused() throws {
        let folder = try TemporaryFolder()
        let padding = String(repeating: "# padding\n", count: (ManifestLoader.maximumSize / 10) + 1)
        let path = try folder.write("styxy.yaml", padding + "services:\n  web:\n    type: dev\n")
        let outcome = LoadOutcome { () throws(StyxyError) in try builtinLoader().load(path: path) }
        #expect(outcome.diagnostics == ["\(path): error: the manifest is larger than 1 MiB"])
    }

    @Test func rootIsTheCanonicalFolderThroughASymlink() throws {
        let folder = try TemporaryFolder()
        try folder.write("project/styxy.yaml", "services:\n  web:\n    type: dev\n")
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/link", withDestinationPath: folder.path + "/project")
        let manifest = try builtinLoader().load(path: folder.path + "/link/styxy.yaml")
        #expect(manifest.root == folder.path + "/project")
        #expect(manifest.project == "project")
        #expect(manifest.path == folder.path + "/link/styxy.yaml")
    }
}
