import Foundation
import StyxyCore
@testable import StyxyManifest
import StyxyRender
import StyxyTestSupport
import Testing

/// The fixture projects under Tests/Fixtures/init/, each proposed and loaded back.
enum Scaffolded {
    static let folder = Repository.root + "/Tests/Fixtures/init"
    static let golden = folder + "/golden/mixed.styxy.yaml"
    static let cases = ["npm", "compose", "procfile", "mixed", "empty"] + DevServerFixtureTests.cases

    static func propose(_ directory: String, catalog: Catalog = .builtin()) throws -> ManifestScaffold.Proposal {
        do {
            return try ManifestScaffold.propose(projectDirectory: directory, catalog: catalog)
        } catch {
            Issue.record("no proposal for \(directory):\n\(error.description)")
            throw error
        }
    }

    /// Loads a proposal with the real loader, recording every diagnostic and the text on failure.
    static func load(_ proposal: ManifestScaffold.Proposal, in directory: String, catalog: Catalog = .builtin()) throws -> Manifest {
        let loader = ManifestLoader(catalog: catalog, builtinTemplates: builtinTemplateNames)
        do {
            return try loader.parse(Array(proposal.text.utf8), path: directory + "/styxy.yaml", root: FileIO.realPath(directory) ?? directory)
        } catch {
            Issue.record("the proposal does not load:\n\(error.description)\n--- proposal ---\n\(proposal.text)")
            throw error
        }
    }

    static func fixture(_ name: String) throws -> (proposal: ManifestScaffold.Proposal, manifest: Manifest) {
        let directory = "\(folder)/\(name)"
        let proposal = try propose(directory)
        return (proposal, try load(proposal, in: directory))
    }

    /// Records the line diff when `text` differs from the golden file at `path`; with
    /// STYXY_UPDATE_GOLDENS=1 in the environment, rewrites the golden instead (review the diff).
    static func compare(_ text: String, golden path: String) throws {
        if ProcessInfo.processInfo.environment["STYXY_UPDATE_GOLDENS"] == "1" {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return
        }
        let expected = try #require(try FileIO.readString(path), "missing \(path); run with STYXY_UPDATE_GOLDENS=1 and review it")
        if text != expected {
            Issue.record("""
                the proposal differs from \(path) (STYXY_UPDATE_GOLDENS=1 rewrites it):
                \(LineDiff.unified(old: expected, new: text, oldName: "golden", newName: "proposal"))
                """)
        }
    }

    /// A copy of a fixture in a temporary folder, for tests that write.
    static func copy(_ name: String) throws -> TemporaryFolder {
        let temporary = try TemporaryFolder("init")
        for file in try FileManager.default.contentsOfDirectory(atPath: "\(folder)/\(name)") {
            try temporary.write(file, Repository.bytes("\(folder)/\(name)/\(file)"))
        }
        return temporary
    }
}

extension Manifest {
    /// The only port of a single-port service; fails the test when there is no such service.
    func onlyPort(_ name: String) throws -> NamedPort {
        let found = try #require(self.service(named: name), "no service \(name) in \(services.map(\.name))")
        #expect(!found.hasNamedPorts, "\(name) has named ports")
        return found.ports[0]
    }

    func namedPort(_ service: String, _ port: String) throws -> NamedPort {
        let found = try #require(self.service(named: service), "no service \(service)")
        return try #require(found.ports.first { $0.name == port }, "\(service) has no port \(port): \(found.ports.map(\.name))")
    }

    var outputList: [String] {
        outputs.map { output in
            if case .builtin(let name) = output.template { return "\(name) → \(output.path)" }
            return "file → \(output.path)"
        }
    }
}

@Suite("styxy init: fixture projects")
struct ScaffoldFixtureTests {
    @Test("the proposal loads with the real loader", arguments: Scaffolded.cases)
    func loads(_ name: String) throws {
        let (proposal, manifest) = try Scaffolded.fixture(name)
        #expect(!manifest.services.isEmpty)
        #expect(proposal.text.hasPrefix(ManifestSchema.modeline + "\n# styxy.yaml: "))
        #expect(proposal.text.contains("`styxy resolve`"))
        #expect(manifest.outputs.first.map { $0.path } == ".env")
    }

    @Test("the same project gives the same bytes, wherever it lies", arguments: Scaffolded.cases)
    func deterministic(_ name: String) throws {
        let first = try Scaffolded.propose("\(Scaffolded.folder)/\(name)")
        let copy = try Scaffolded.copy(name)
        #expect(try Scaffolded.propose(copy.path) == first)
    }

    @Test func packageScripts() throws {
        let (proposal, manifest) = try Scaffolded.fixture("npm")
        #expect(proposal.sources == ["package.json"])
        #expect(proposal.services == ["dev", "storybook", "api"])
        #expect(manifest.project == "shop-web")
        let dev = try #require(manifest.service(named: "dev"))
        #expect(dev.type == "dev")
        #expect(dev.command == "vite --port {{port}} --strictPort")
        #expect(try manifest.onlyPort("dev").preferred == 5173)
        #expect(try manifest.onlyPort("dev").env == ["DEV_PORT"])
        let storybook = try #require(manifest.service(named: "storybook"))
        #expect(storybook.type == "storybook")
        #expect(storybook.command == "storybook dev -p {{port}} --exact-port", "the table's strict-port flag is added")
        #expect(try manifest.onlyPort("storybook").preferred == 6006)
        let api = try #require(manifest.service(named: "api"))
        #expect(api.type == "api", "the script's name says api, though port 4000 lies in the ui range")
        #expect(api.command == "PORT={{port}} node server.js")
        #expect(try manifest.onlyPort("api").preferred == 4000)
        #expect(manifest.services.count == 3, "build and lint pass no port")
        #expect(manifest.outputList == ["dotenv → .env", "npm-scripts → .styxy/npm-scripts.json"])
        #expect(proposal.text.contains("# from package.json script \"storybook\""))
    }

    @Test func composeFile() throws {
        let (proposal, manifest) = try Scaffolded.fixture("compose")
        #expect(proposal.sources == ["compose.yaml"])
        #expect(manifest.project == "shop")
        #expect(manifest.services.map(\.name).sorted() == ["api", "cache", "db"])
        #expect(manifest.service(named: "db")?.type == "database")
        #expect(try manifest.onlyPort("db").preferred == 5432)
        #expect(try manifest.onlyPort("db").compose == ComposeTarget(service: "db", target: 5432))
        #expect(manifest.service(named: "cache")?.type == "infrastructure")
        #expect(try manifest.onlyPort("cache").preferred == 6379)
        #expect(try manifest.onlyPort("cache").compose == ComposeTarget(service: "cache", target: 6379, hostIP: "127.0.0.1"),
                "the override keeps publishing on the base file's address")
        #expect(manifest.service(named: "api")?.type == "api")
        #expect(try manifest.onlyPort("api").preferred == 8080, "the published port, from the long syntax")
        #expect(try manifest.onlyPort("api").compose == ComposeTarget(service: "api", target: 8000))
        #expect(manifest.services.allSatisfy { $0.command == nil })
        #expect(manifest.outputList == ["dotenv → .env", "compose-override → docker-compose.override.yml"])
        #expect(proposal.notes.contains("compose.yaml service \"worker\" publishes no port"))
        #expect(proposal.text.contains("compose: { service: \"cache\", target: 6379, host_ip: \"127.0.0.1\" }"))
        #expect(!proposal.notes.contains { $0.contains("on every address") })
        #expect(proposal.text.contains("# - compose.yaml service \"worker\" publishes no port"))
    }

    @Test func procfile() throws {
        let (proposal, manifest) = try Scaffolded.fixture("procfile")
        #expect(proposal.sources == ["Procfile"])
        let web = try #require(manifest.service(named: "web"))
        #expect(web.type == "dev")
        #expect(web.command == "bundle exec rails server -p {{port}}")
        #expect(try manifest.onlyPort("web").preferred == nil)
        #expect(try manifest.onlyPort("web").env == ["WEB_PORT", "PORT"])
        let api = try #require(manifest.service(named: "api"))
        #expect(api.type == "api")
        #expect(api.command == "bundle exec rackup config.ru -p {{port}}")
        #expect(try manifest.onlyPort("api").preferred == 5000)
        #expect(try manifest.onlyPort("api").env == ["API_PORT"])
        #expect(manifest.service(named: "worker") == nil)
        #expect(proposal.notes.contains("Procfile process \"worker\" opens no port"))
    }

    @Test("mixed: names, preferred ports and variables made unique, first come first served")
    func mixed() throws {
        let (proposal, manifest) = try Scaffolded.fixture("mixed")
        #expect(proposal.sources == ["package.json", "compose.yaml", "Procfile"])
        #expect(proposal.services == ["dev", "preview", "docs-dev", "api", "emulators", "api-2", "mq", "ollama", "dns", "web", "web-2"])
        #expect(manifest.project == "@acme/shop")
        #expect(try manifest.onlyPort("dev").preferred == 3000)
        #expect(try manifest.onlyPort("preview").preferred == nil, "3000 stays with dev")
        #expect(manifest.service(named: "preview")?.command
            == #"vite preview --port {{port}} --strictPort --host "0.0.0.0" && echo 'ready: http://localhost:{{port}} #1'"#)
        #expect(manifest.service(named: "docs-dev")?.type == "docs")
        #expect(manifest.service(named: "docs-dev")?.command == "vitepress dev docs --port={{port}}")
        // A script with two ports: named ports, each placeholder in its place.
        let emulators = try #require(manifest.service(named: "emulators"))
        #expect(emulators.type == "functions")
        #expect(emulators.command == "firebase emulators:start --ui-port {{ports.ui}} --port {{ports.main}}")
        #expect(try manifest.namedPort("emulators", "ui").preferred == 4000)
        #expect(try manifest.namedPort("emulators", "main").preferred == 9099)
        #expect(try manifest.namedPort("emulators", "ui").env == ["EMULATORS_UI_PORT"])
        // The Compose `api` (ports from a merge key) meets the script `api`.
        #expect(try manifest.onlyPort("api").preferred == 8000)
        #expect(try manifest.onlyPort("api-2").preferred == nil)
        #expect(try manifest.onlyPort("api-2").compose == ComposeTarget(service: "api", target: 8000))
        #expect(try manifest.onlyPort("api-2").env == ["API_2_PORT"])
        #expect(try manifest.namedPort("mq", "port_5672").compose == ComposeTarget(service: "mq", target: 5672))
        #expect(try manifest.namedPort("mq", "port_15672").preferred == 15672)
        #expect(try manifest.namedPort("mq", "port_15672").env == ["MQ_15672_PORT"])
        #expect(manifest.service(named: "ollama")?.type == "ai")
        #expect(try manifest.onlyPort("ollama").preferred == 11434, "the fallback of ${OLLAMA_PORT:-11434}")
        #expect(try manifest.onlyPort("ollama").env == ["OLLAMA_PORT"])
        // nginx on port 80: no preference below 1024; the unreadable ports are named.
        #expect(manifest.service(named: "web")?.type == "proxy")
        #expect(try manifest.onlyPort("web").preferred == nil)
        #expect(try manifest.onlyPort("web").compose == ComposeTarget(service: "web", target: 80))
        #expect(proposal.text.contains("\"9000-9005:9000-9005\" (port ranges are not supported)"))
        // UDP only: a UDP service, which the override publishes with /udp.
        #expect(manifest.service(named: "dns")?.transport == .udp)
        #expect(try manifest.onlyPort("dns").compose == ComposeTarget(service: "dns", target: 53))
        #expect(try manifest.onlyPort("dns").preferred == nil, "53 is below 1024")
        // The Procfile's web: renamed, its 3000 taken, PORT kept as a second variable.
        #expect(try manifest.onlyPort("web-2").env == ["WEB_2_PORT", "PORT"])
        #expect(try manifest.onlyPort("web-2").preferred == nil)
        #expect(manifest.service(named: "web-2")?.command == "bundle exec puma -p {{port}}")
        #expect(manifest.outputList == ["dotenv → .env", "compose-override → docker-compose.override.yml", "npm-scripts → .styxy/npm-scripts.json"])
        #expect(proposal.notes.contains("service preview: port 3000 is also wanted by dev, which keeps it; this one gets another"))
        #expect(proposal.notes.contains("service api-2: named api-2 because service api already exists"))
    }

    @Test("an empty folder gets a commented starter")
    func empty() throws {
        let (proposal, manifest) = try Scaffolded.fixture("empty")
        #expect(proposal.sources.isEmpty)
        #expect(proposal.services.isEmpty)
        #expect(manifest.services.map(\.name) == ["web"])
        #expect(manifest.service(named: "web")?.type == "dev")
        #expect(try manifest.onlyPort("web").preferred == nil)
        #expect(manifest.outputList == ["dotenv → .env"])
        #expect(proposal.text.contains("as a starting point"))
    }

    @Test("the mixed proposal matches its golden (STYXY_UPDATE_GOLDENS=1 rewrites it)")
    func golden() throws {
        try Scaffolded.compare(try Scaffolded.propose("\(Scaffolded.folder)/mixed").text, golden: Scaffolded.golden)
    }
}

@Suite("styxy init: writing")
struct ScaffoldWriteTests {
    @Test func writesAManifestThatLoads() throws {
        let project = try Scaffolded.copy("npm")
        let proposal = try Scaffolded.propose(project.path)
        let path = try ManifestScaffold.write(proposal, projectDirectory: project.path)
        #expect(path == project.path + "/styxy.yaml")
        #expect(try FileIO.readString(path) == proposal.text)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o644)
        let manifest = try loadRecordingDiagnostics(path)
        #expect(manifest.services.count == 3)
        // Nothing but the manifest was added: no temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: project.path).sorted() == ["package.json", "styxy.yaml"])
    }

    @Test("an existing styxy.yaml is never replaced")
    func neverOverwrites() throws {
        let project = try Scaffolded.copy("mixed")
        let original = "# mine\nservices: { web: { type: dev } }\n"
        try project.write("styxy.yaml", original)
        let before = project.snapshot()
        let proposal = try Scaffolded.propose(project.path)
        let error = try #require(throws: StyxyError.self) { try ManifestScaffold.write(proposal, projectDirectory: project.path) }
        #expect(error.exitStatus == .cannotWriteOutput)
        #expect(error.description.contains("styxy.yaml: error: a manifest already exists here"))
        #expect(error.description.contains("--dry-run` prints the proposal instead"))
        #expect(try FileIO.readString(project.path + "/styxy.yaml") == original)
        #expect(project.snapshot() == before)
    }

    @Test("writing twice: the second write is refused")
    func secondWriteRefused() throws {
        let project = try Scaffolded.copy("procfile")
        let proposal = try Scaffolded.propose(project.path)
        try ManifestScaffold.write(proposal, projectDirectory: project.path)
        var edited = proposal
        edited.text += "# changed\n"
        #expect(throws: StyxyError.self) { try ManifestScaffold.write(edited, projectDirectory: project.path) }
        #expect(try FileIO.readString(project.path + "/styxy.yaml") == proposal.text)
    }

    @Test("racing writers: exactly one wins, the others are refused")
    func racingWriters() throws {
        let project = try Scaffolded.copy("npm")
        let proposal = try Scaffolded.propose(project.path)
        final class Outcomes: @unchecked Sendable {
            let lock = NSLock()
            var won: [Int] = []
            var statuses: [StyxyCore.ExitStatus] = []
        }
        let outcomes = Outcomes()
        let folder = project.path
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            var mine = proposal
            mine.text += "# writer \(index)\n"
            do throws(StyxyError) {
                try ManifestScaffold.write(mine, projectDirectory: folder)
                outcomes.lock.withLock { outcomes.won.append(index) }
            } catch {
                outcomes.lock.withLock { outcomes.statuses.append(error.exitStatus) }
            }
        }
        #expect(outcomes.won.count == 1)
        #expect(outcomes.statuses == Array(repeating: .cannotWriteOutput, count: 7))
        let winner = try #require(outcomes.won.first)
        #expect(try FileIO.readString(project.path + "/styxy.yaml") == proposal.text + "# writer \(winner)\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: project.path).sorted() == ["package.json", "styxy.yaml"])
    }

    @Test("a dangling styxy.yaml symlink counts as existing")
    func danglingSymlink() throws {
        let project = try Scaffolded.copy("empty")
        try FileManager.default.createSymbolicLink(atPath: project.path + "/styxy.yaml", withDestinationPath: "nowhere.yaml")
        #expect(ManifestScaffold.existingManifest(in: project.path) != nil)
        let proposal = try Scaffolded.propose(project.path)
        #expect(throws: StyxyError.self) { try ManifestScaffold.write(proposal, projectDirectory: project.path) }
        #expect(!FileManager.default.fileExists(atPath: project.path + "/nowhere.yaml"))
    }

    @Test func missingFolderIsAUsageError() {
        #expect(throws: StyxyError.self) {
            try ManifestScaffold.propose(projectDirectory: "/nonexistent/styxy-init", catalog: .builtin())
        }
        do {
            _ = try ManifestScaffold.propose(projectDirectory: "/nonexistent/styxy-init", catalog: .builtin())
        } catch {
            #expect(error.exitStatus == .usage)
        }
    }
}
