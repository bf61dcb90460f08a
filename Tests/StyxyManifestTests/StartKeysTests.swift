import Foundation
import StyxyCore
@testable import StyxyManifest
import StyxyTestSupport
import Testing

@Suite("cwd, after and ready")
struct StartKeysTests {
    @Test func fixtureReadsEveryForm() throws {
        let manifest = try ValidFixtures.load("start-keys.yaml")
        let web = try #require(manifest.service(named: "web"))
        #expect(web.cwd == ".")
        #expect(web.after.map(\.name) == ["api", "db"])
        #expect(web.after.map(\.location.line) == [8, 8])
        #expect(web.after.map(\.location.column) == [13, 18])
        #expect(web.readyTimeout == 90)
        let api = try #require(manifest.service(named: "api"))
        #expect(api.after.map(\.name) == ["db"], "a single name is a list of one")
        #expect(api.readyTimeout == 0.5)
        let db = try #require(manifest.service(named: "db"))
        #expect(db.command == nil && db.cwd == nil)
        #expect(db.after.map(\.name) == ["cache"], "a service without a command may wait for another")
        #expect(db.readyTimeout == Service.longestReadyTimeout, "the maximum itself is allowed")
        let cache = try #require(manifest.service(named: "cache"))
        #expect(cache.after.isEmpty && cache.readyTimeout == nil && cache.cwd == nil)
        #expect(manifest.workingFolder(of: web) == manifest.root)
        #expect(manifest.workingFolder(of: cache) == manifest.root)
    }

    /// The example in docs/manifest.md#starting-services-cwd-after-ready loads, as the text says.
    @Test func documentedExampleLoads() throws {
        let text = try String(contentsOfFile: Repository.root + "/docs/manifest.md", encoding: .utf8)
        let section = try #require(text.components(separatedBy: "## Starting services").dropFirst().first)
        let yaml = try #require(section.components(separatedBy: "```yaml\n").dropFirst().first?.components(separatedBy: "```").first)
        let folder = try TemporaryFolder("docs")
        try folder.write("backend/app.py", "")
        try folder.write("apps/web/index.html", "")
        let manifest = try loadRecordingDiagnostics(try folder.write("styxy.yaml", yaml))
        #expect(manifest.service(named: "api")?.cwd == "backend")
        #expect(manifest.service(named: "api")?.readyTimeout == 120)
        #expect(manifest.startOrder(of: ["web"]).map(\.name) == ["db", "api", "web"])
    }

    // MARK: cwd

    private func project(cwd: String, prepare: (TemporaryFolder) throws -> Void = { _ in }) throws -> (TemporaryFolder, LoadOutcome) {
        let folder = try TemporaryFolder("cwd")
        try folder.write("apps/web/index.js", "")
        try prepare(folder)
        let text = "services:\n  web:\n    type: dev\n    command: node index.js\n    cwd: \(Quoting.yaml(cwd))\n"
        let path = try folder.write("styxy.yaml", text)
        return (folder, LoadOutcome { () throws(StyxyError) in try builtinLoader().load(path: path) })
    }

    @Test("cwd is normalised to the canonical folder", arguments: [
        ("apps/web", "apps/web"), ("./apps//web/", "apps/web"), ("apps/../apps/web", "apps/web"), ("apps", "apps"),
        (".", "."), ("apps/..", "."), ("inner", "apps/web"), ("inner/..", "apps"), ("absolute-inside", "apps/web"),
    ])
    func normalised(_ written: String, _ expected: String) throws {
        let (folder, outcome) = try project(cwd: written) { folder in
            try FileManager.default.createSymbolicLink(atPath: folder.path + "/inner", withDestinationPath: "apps/web")
            try FileManager.default.createSymbolicLink(atPath: folder.path + "/absolute-inside", withDestinationPath: folder.path + "/apps/web")
        }
        guard case .loaded(let manifest) = outcome else {
            Issue.record("cwd \(written) did not load: \(outcome.diagnostics)")
            return
        }
        let web = try #require(manifest.service(named: "web"))
        #expect(web.cwd == expected, "cwd \(written)")
        let absolute = expected == "." ? folder.path : folder.path + "/" + expected
        #expect(manifest.workingFolder(of: web) == absolute)
    }

    @Test func aLinkOutOfTheProjectIsRefused() throws {
        let outside = try TemporaryFolder("outside")
        for (name, target) in [("up", "../"), ("tmp", outside.path), ("deep", "apps/../../x")] {
            let (folder, outcome) = try project(cwd: name) { folder in
                try FileManager.default.createSymbolicLink(atPath: folder.path + "/" + name, withDestinationPath: target)
            }
            let lines = outcome.diagnostics
            #expect(lines.count == 1, "\(name) -> \(target): \(lines)")
            #expect(lines.first?.hasPrefix(folder.path + "/styxy.yaml:5:10: error: services.web.cwd: cwd '\(name)' is refused: ") == true,
                    "\(name) -> \(target): \(lines)")
            if case .failed(let status, _) = outcome { #expect(status == .invalidInput) }
        }
    }

    @Test func aLinkToAFileOrNowhereIsNotAFolder() throws {
        let (_, toFile) = try project(cwd: "main") { folder in
            try FileManager.default.createSymbolicLink(atPath: folder.path + "/main", withDestinationPath: "apps/web/index.js")
        }
        #expect(toFile.diagnostics.first?.contains("cwd 'main' is not a folder") == true, "\(toFile.diagnostics)")
        let (_, dangling) = try project(cwd: "gone") { folder in
            try FileManager.default.createSymbolicLink(atPath: folder.path + "/gone", withDestinationPath: "apps/missing")
        }
        #expect(dangling.diagnostics.first?.contains("folder 'gone' does not exist") == true, "\(dangling.diagnostics)")
    }

    @Test func aFifoIsNotAFolder() throws {
        let (_, outcome) = try project(cwd: "pipe") { folder in
            #expect(mkfifo(folder.path + "/pipe", 0o600) == 0)
        }
        #expect(outcome.diagnostics.first?.contains("cwd 'pipe' is not a folder") == true, "\(outcome.diagnostics)")
    }

    // MARK: after

    @Test func startOrderFollowsAfterThenNames() throws {
        let manifest = try ValidFixtures.load("start-keys.yaml")
        #expect(manifest.startOrder(of: ["web"]).map(\.name) == ["cache", "db", "api", "web"])
        #expect(manifest.startOrder(of: ["api"]).map(\.name) == ["cache", "db", "api"])
        #expect(manifest.startOrder(of: ["cache"]).map(\.name) == ["cache"])
        #expect(manifest.startOrder(of: ["cache", "web", "cache"]).map(\.name) == ["cache", "db", "api", "web"])
        #expect(manifest.startOrder(of: []).isEmpty)
        #expect(manifest.startOrder(of: ["nope"]).isEmpty)
    }

    @Test func independentServicesStartByName() throws {
        let text = """
            services:
              zeta: { type: dev, after: [alpha] }
              mid: { type: api }
              alpha: { type: docs }
              beta: { type: ui, after: zeta }
            """
        let manifest = try builtinLoader().parse(Array(text.utf8), path: "order.yaml", root: "/")
        #expect(manifest.startOrder(of: manifest.services.map(\.name)).map(\.name) == ["alpha", "mid", "zeta", "beta"])
    }

    /// Thousands of services in one circle: found without recursion, said once, the names cut.
    @Test func aLongCircleIsReportedOnceAndShort() throws {
        let count = 5000
        var text = "services:\n"
        for index in 0..<count {
            text += "  s\(index): { range: [20000, 29999], after: s\((index + 1) % count) }\n"
        }
        let outcome = LoadOutcome { () throws(StyxyError) in try builtinLoader().parse(Array(text.utf8), path: "ring.yaml", root: "/") }
        #expect(outcome.diagnostics == [
            "ring.yaml:2:39: error: services.s0.after: services wait for each other in a circle: "
                + "s0 -> s1 -> s2 -> s3 -> s4 -> s5 -> s6 -> s7 -> s8 -> ... (4990 more) -> s4999 -> s0 "
                + "(remove one of these after: entries; `up` could start none of them)",
        ])
    }

    @Test func manyCirclesAreCappedAndSaidFromTheFirstWritten() throws {
        var text = "services:\n"
        for pair in 0..<40 {
            text += "  b\(pair): { type: dev, after: a\(pair) }\n  a\(pair): { type: dev, after: b\(pair) }\n"
        }
        let outcome = LoadOutcome { () throws(StyxyError) in try builtinLoader().parse(Array(text.utf8), path: "pairs.yaml", root: "/") }
        #expect(outcome.diagnostics.count == StartCycles.limit)
        #expect(outcome.diagnostics.first?.contains("services.b0.after: services wait for each other in a circle: b0 -> a0 -> b0") == true,
                "\(outcome.diagnostics.first ?? "")")
    }

    @Test func cyclesAmongInvalidServicesAreStillFound() throws {
        // `web` is invalid (an unknown type), but its after: still counts: two mistakes, two lines.
        let text = "services:\n  web: { type: nope, after: api }\n  api: { type: api, after: web }\n"
        let outcome = LoadOutcome { () throws(StyxyError) in try builtinLoader().parse(Array(text.utf8), path: "x.yaml", root: "/") }
        #expect(outcome.diagnostics.count == 2, "\(outcome.diagnostics)")
        #expect(outcome.diagnostics.last?.contains("web -> api -> web") == true)
    }
}

@Suite("ConfinedFolder.locateFolder")
struct LocateFolderTests {
    @Test func walksToFoldersOnly() throws {
        let folder = try TemporaryFolder("locate")
        try folder.write("a/b/file", "")
        try FileManager.default.createDirectory(atPath: folder.path + "/.git", withIntermediateDirectories: true)
        let confined = try ConfinedFolder(path: folder.path)
        #expect(try confined.locateFolder("a/b") == "a/b")
        #expect(try confined.locateFolder("") == ".")
        #expect(try confined.locateFolder("a/./b/..") == "a")
        for (path, code) in [("a/b/file", ENOTDIR), ("a/b/file/c", ENOTDIR), ("a/missing", ENOENT), ("a/missing/c", ENOENT)] {
            let error = try #require(throws: FileIOError.self) { try confined.locateFolder(path) }
            #expect(error.code == code && error.refusal == nil, "\(path): \(error)")
        }
        for path in ["..", "a/../..", "/tmp", ".git", "a/.GIT"] {
            let error = try #require(throws: FileIOError.self) { try confined.locateFolder(path) }
            #expect(error.refusal != nil, "\(path) must be refused: \(error)")
        }
        // locate() for files is unchanged: a folder at the end is still refused.
        #expect(throws: FileIOError.self) { try confined.locate("a/b") }
        #expect(try confined.locate("a/b/file").exists)
    }
}
