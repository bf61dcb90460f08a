import Foundation
import StyxyCore
@testable import StyxyManifest
import StyxyRender
import StyxyTestSupport
import Testing

/// Every `Tests/Fixtures/manifests/invalid/NAME.yaml` breaks a rule; `NAME.golden` beside it holds the
/// exit status and the exact diagnostics the loader prints. Run with `STYXY_UPDATE_GOLDENS=1` to rewrite
/// the goldens from what the loader says now, then read the diff before committing it.
enum InvalidFixtures {
    static let folder = Repository.manifestFixtures + "/invalid"
    static let names = Repository.files(in: folder, endingWith: ".yaml").map { String($0.dropLast(".yaml".count)) }
    static let updating = ProcessInfo.processInfo.environment["STYXY_UPDATE_GOLDENS"] == "1"

    /// The loader's verdict on one fixture in golden form. The manifest is named by a path relative to
    /// the fixtures folder, so goldens read the same on every machine.
    static func verdict(_ name: String) throws -> [String] {
        let bytes = try Repository.bytes("\(folder)/\(name).yaml")
        let root = try #require(FileIO.realPath(folder))
        switch LoadOutcome({ () throws(StyxyError) in try builtinLoader().parse(bytes, path: "invalid/\(name).yaml", root: root) }) {
        case .loaded:
            return ["exit \(StyxyCore.ExitStatus.success.rawValue)"]
        case .failed(let status, let diagnostics):
            return ["exit \(status.rawValue)"] + diagnostics
        }
    }
}

@Suite("Invalid manifests")
struct InvalidManifestTests {
    @Test("diagnostics match the golden", arguments: InvalidFixtures.names)
    func matchesGolden(_ name: String) throws {
        let actual = try InvalidFixtures.verdict(name)
        let goldenPath = "\(InvalidFixtures.folder)/\(name).golden"
        let actualText = actual.joined(separator: "\n") + "\n"

        if InvalidFixtures.updating {
            try Data(actualText.utf8).write(to: URL(fileURLWithPath: goldenPath))
        } else {
            let golden = try? String(contentsOfFile: goldenPath, encoding: .utf8)
            let expectedText = try #require(golden, "no golden for invalid/\(name).yaml; run with STYXY_UPDATE_GOLDENS=1 and read it")
            if actualText != expectedText {
                Issue.record("""
                    invalid/\(name).yaml: the loader's diagnostics differ from invalid/\(name).golden (- golden, + loader); \
                    if the change is intended, rerun with STYXY_UPDATE_GOLDENS=1 and read the new golden
                    \(LineDiff.unified(old: expectedText, new: actualText, oldName: "invalid/\(name).golden", newName: "loader"))
                    """)
            }
        }

        // Independent of the golden text: an invalid manifest exits 65 and every line says where.
        #expect(actual.first == "exit \(StyxyCore.ExitStatus.invalidInput.rawValue)", "invalid/\(name).yaml must fail with exit status 65")
        #expect(actual.count >= 2, "invalid/\(name).yaml must produce at least one diagnostic")
        for line in actual.dropFirst() {
            #expect(line.hasPrefix("invalid/\(name).yaml:"), "every diagnostic names the manifest: \(line)")
            #expect(line.contains(": error: "), "every diagnostic is an error: \(line)")
        }
    }

    @Test func everyGoldenHasItsFixture() {
        let goldens = Repository.files(in: InvalidFixtures.folder, endingWith: ".golden").map { String($0.dropLast(".golden".count)) }
        let orphans = Set(goldens).subtracting(InvalidFixtures.names)
        #expect(orphans.isEmpty, "goldens without a fixture: \(orphans.sorted())")
        #expect(InvalidFixtures.names.count >= 40, "found only \(InvalidFixtures.names.count) invalid fixtures in \(InvalidFixtures.folder)")
    }

    /// Each diagnostic is one line of printable text, so `file:line:col:` stays at the start of a line.
    @Test("diagnostics are printable single lines", arguments: InvalidFixtures.names)
    func diagnosticsArePrintable(_ name: String) throws {
        let lines = try InvalidFixtures.verdict(name)
        func check() {
            for line in lines {
                let controls = line.unicodeScalars.filter { $0.value < 0x20 || $0.value == 0x7f }
                #expect(controls.isEmpty, "invalid/\(name).yaml: a diagnostic holds control characters \(controls.map(\.value)): \(line.debugDescription)")
            }
        }
        check()
    }

    @Test func deepNestingIsRefusedAtTheLimit() throws {
        // 20,000 levels, generated rather than committed: refused at the nesting limit, without recursion.
        let depth = 20_000
        let text = "services:\n  web: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
        let outcome = LoadOutcome { () throws(StyxyError) in try builtinLoader().parse(Array(text.utf8), path: "deep.yaml", root: "/") }
        guard case .failed(let status, let lines) = outcome else {
            Issue.record("a 20,000-level document loaded")
            return
        }
        #expect(status == .invalidInput)
        // The top mapping and services' mapping are levels 1 and 2, so the 63rd '[' (column 7 + 63 on
        // line 2) would open level 65.
        #expect(lines == ["deep.yaml:2:70: error: the document nests deeper than \(YAMLParser.maximumDepth) levels"])
    }
}
