import StyxyCore
import StyxyTestSupport
import Testing

/// Each quoted form is read back by the real consumer where it is installed: python-dotenv,
/// PyYAML, the shells, Foundation's JSON parser.
@Suite("Quoting")
struct QuotingTests {
    static let awkward: [String] = [
        "plain", "with space", "it's", #"say "hi""#, "#hash", "a # b", "$HOME and $(id) and `id`",
        #"back\slash"#, #"C:\new\table"#, "multi\nline", "tab\there", "cr\rhere", "", "ünïcödé ✓",
        "mix ' \" $ # \\ and\ttab", "'", "\"", "=", "trailing space ", " leading space",
    ]

    @Test("dotenv: single quotes when nothing inside needs escaping, else double quotes")
    func dotenvForms() {
        #expect(Quoting.dotenv("a b $X #c \"d\"") == #"'a b $X #c "d"'"#)
        #expect(Quoting.dotenv("it's") == #""it's""#)
        #expect(Quoting.dotenv("a\\b\n\"c\"") == #""a\\b\n\"c\"""#)
    }

    @Test("dotenv: python-dotenv reads every value back exactly", .enabled(if: ToolRun.hasPythonDotenv))
    func dotenvRoundTrip() throws {
        let project = try TemporaryFolder("quoting")
        let withBraces = Self.awkward + ["${HOME} stays"]
        var text = "# user line\n"
        for (index, value) in withBraces.enumerated() { text += "V\(index)=\(Quoting.dotenv(value))\n" }
        try project.write(".env", text)
        for interpolate in ["False", "True"] {
            let run = try #require(try ToolRun.run("python3", [
                "-c", "import dotenv, json, sys; print(json.dumps(dotenv.dotenv_values(sys.argv[1], interpolate=\(interpolate))))",
                project.file(".env"),
            ]))
            #expect(run.status == 0, "\(run.stderr)")
            let values = try #require(try parseJSON(run.stdout) as? [String: String])
            // python-dotenv expands ${NAME} in every value, quoted or not; the one documented limit.
            let checked = interpolate == "True" ? Self.awkward : withBraces
            for (index, value) in checked.enumerated() {
                #expect(values["V\(index)"] == value, "interpolate=\(interpolate) \(value.debugDescription) as \(Quoting.dotenv(value))")
            }
        }
    }

    @Test("shell: eval in every installed POSIX shell gives the value back")
    func shellRoundTrip() throws {
        for shell in ["sh", "dash", "bash", "zsh"] {
            for value in Self.awkward + ["${HOME}", "!history", "\\'\\"] {
                // The quoted text reaches eval as "$1", exactly as `eval "$(styxy env --format shell)"` sees it.
                let script = #"eval "V=$1"; printf '%s' "$V""#
                guard let run = try ToolRun.run(shell, ["-c", script, shell, Quoting.shell(value)]) else { break }
                #expect(run.stdout == value, "\(shell): \(value.debugDescription) as \(Quoting.shell(value)): \(run.stderr)")
            }
        }
    }

    @Test("json: a string literal Foundation parses back exactly")
    func jsonRoundTrip() throws {
        for value in Self.awkward + ["\u{0}\u{1F}\u{2028}"] {
            #expect(try parseJSON(Quoting.json(value)) as? String == value)
        }
    }

    @Test("yaml: escapes for what YAML cannot hold literally")
    func yamlForms() {
        #expect(Quoting.yaml("a\u{85}b\u{7}\u{2028}") == #""a\x85b\x07\u2028""#)
        #expect(Quoting.yaml("it's \"x\" \\") == #""it's \"x\" \\""#)
        #expect(Quoting.yaml("\u{FFFE}") == #""\uFFFE""#, "not allowed in a YAML document")
    }

    @Test("yaml: a double-quoted scalar PyYAML parses back exactly", .enabled(if: ToolRun.hasPyYAML))
    func yamlRoundTrip() throws {
        let values = Self.awkward + ["yes", "null", "*alias", "- dash", "key: value", "\u{7}\u{85}\u{2028}\u{FEFF}x", "nonchar \u{FFFE}\u{FFFF} end"]
        let document = values.map { "- " + Quoting.yaml($0) }.joined(separator: "\n")
        let run = try #require(try ToolRun.run("python3", [
            "-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))",
        ], stdin: document))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try parseJSON(run.stdout) as? [String] == values)
    }
}
