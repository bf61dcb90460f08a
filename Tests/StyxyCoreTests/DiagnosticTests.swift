import StyxyCore
import StyxyTestSupport
import Testing

@Suite("Diagnostics and exit codes")
struct DiagnosticTests {
    @Test func theCompilerStyleForms() {
        let at = SourceLocation(file: "styxy.yaml", line: 3, column: 11)
        #expect(Diagnostic(.error, "unknown service type 'devv'", at: at, keyPath: "services.web.type", hint: "did you mean 'dev'?").rendered
            == "styxy.yaml:3:11: error: services.web.type: unknown service type 'devv' (did you mean 'dev'?)")
        var whole = Diagnostic(.warning, "no outputs")
        whole.file = "styxy.yaml"
        #expect(whole.rendered == "styxy.yaml: warning: no outputs")
        #expect(Diagnostic(.note, "plain").rendered(severityStyle: { "<\($0)>" }) == "<note:> plain")
        #expect(StyxyError(.ledgerIO, "cannot read", file: "/s/ledger.json", hint: "run doctor").description
            == "/s/ledger.json: error: cannot read (run doctor)")
    }

    /// Text from a project's files reaches messages, key paths and hints; each diagnostic stays one
    /// line and no escape sequence reaches the terminal.
    @Test func userTextIsEscapedEverywhereItAppears() {
        let rendered = Diagnostic(.error, "bad 'a\nb'", at: SourceLocation(file: "f", line: 1, column: 1),
                                  keyPath: "services.a\tb", hint: "\u{1b}[2J").rendered
        #expect(rendered == #"f:1:1: error: services.a\tb: bad 'a\nb' (\u{1b}[2J)"#)
    }

    @Test func locationsSortByFileLineColumn() {
        let places = [("b", 1, 1), ("a", 2, 1), ("a", 1, 9), ("a", 1, 2)].map { SourceLocation(file: $0.0, line: $0.1, column: $0.2) }
        #expect(places.sorted().map { "\($0.file):\($0.line):\($0.column)" } == ["a:1:2", "a:1:9", "a:2:1", "b:1:1"])
    }

    /// The README's list of exit codes and `ExitStatus` name the same numbers.
    @Test func everyExitStatusIsTheOneTheReadmeDocuments() throws {
        let readme = try #require(try FileIO.readString(Repository.path("README.md")))
        let start = try #require(readme.range(of: "Exit codes: "))
        let paragraph = readme[start.upperBound...].components(separatedBy: "\n\n")[0]
        // "0 success; 1 a conflict, ...; 64 usage; ...": the number that starts each part.
        let documented = paragraph.split(separator: ";").compactMap { Int32($0.split(whereSeparator: \.isWhitespace).first ?? "") }
        #expect(documented == ExitStatus.allCases.map(\.rawValue), "README: \(paragraph)")
    }
}
