import StyxyCore
@testable import StyxyManifest
import StyxyTestSupport
import Testing

/// Regressions: loader bugs found while writing the fixture suite, each stated as the behaviour it
/// must keep.
@Suite("Loader regressions")
struct KnownLoaderBugTests {
    static func outcome(_ text: String, root: String = "/") -> LoadOutcome {
        LoadOutcome { () throws(StyxyError) in try builtinLoader().parse(Array(text.utf8), path: "styxy.yaml", root: root) }
    }

    @Test func aDoubleMinusIsNotANumber() {
        // SchemaReader.decimal("--5000") strips one '-', reads "-5000" and negates it again: 5000.
        let result = Self.outcome("services:\n  web:\n    type: dev\n    port: --5000\n")
        #expect(result.diagnostics == [
            "styxy.yaml:4:11: error: services.web.port: expected a port number (1-65535), found '--5000'",
        ])
    }

    @Test func aFolderIsNotATemplateFile() throws {
        // readTemplate checks only that the path exists; `.` is the project folder itself.
        let folder = try TemporaryFolder()
        let result = Self.outcome("services:\n  web:\n    type: dev\noutputs:\n  - template: .\n    path: PORTS.md\n", root: folder.path)
        #expect(result.diagnostics.count == 1)
        #expect(result.diagnostics.first?.hasPrefix("styxy.yaml:5:15: error: outputs[0].template:") == true)
    }

    @Test("a rejected name is echoed printable, on one line", arguments: [
        "shop\\nsecond line",  // a newline splits the diagnostic in two
        "\\e[31mred\\e[0m",  // an ANSI escape reaches the terminal
    ])
    func controlCharactersAreEscaped(_ written: String) {
        let result = Self.outcome("project: \"\(written)\"\nservices:\n  web:\n    type: dev\n")
        #expect(result.diagnostics.count == 1, "the name is still refused")
        for line in result.diagnostics {
            #expect(!line.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }, "\(line.debugDescription)")
        }
    }

    @Test func crossServiceProblemsAreReportedBesideOtherProblems() {
        // checkAcrossServices sees only services that built without errors, so fixing the type reveals
        // a second round of problems instead of reporting all of them at once.
        let result = Self.outcome("services:\n  web:\n    type: dev\n    env: PORT\n  api:\n    type: nope\n    env: PORT\n")
        #expect(result.diagnostics.contains { $0.contains("unknown service type 'nope'") })
        #expect(result.diagnostics.contains { $0.contains("variable 'PORT' is also set by web") }, "\(result.diagnostics)")
    }
}
