import Foundation
import StyxyCore
@testable import StyxyManifest
import Testing

@Suite("Placeholders in run's arguments")
struct PlaceholderTests {
    static let variables = [
        "WEB_PORT": "3001", "API_PORT": "8002", "PORT": "8002", "STYXY_PROJECT": "shop", "STYXY_INSTANCE": "default",
        "A": "1", "B": "2", "LOOP": "{{A}}", "ODD": "é {{ x }} \u{1F680}",
    ]

    /// What one argument becomes; each case holds the text, what it becomes with and without a
    /// service port of 7, and why it is there.
    static let expansions: [(String, String, String)] = [
        ("--port={{WEB_PORT}}", "--port=3001", "a variable inside an argument"),
        ("{{WEB_PORT}}", "3001", "a whole argument"),
        ("{{A}}{{B}}", "12", "two placeholders side by side"),
        ("{{A}}-{{A}}", "1-1", "the same one twice"),
        ("{{LOOP}}", "{{A}}", "a value is never read again for placeholders"),
        ("{{ODD}}", "é {{ x }} \u{1F680}", "a value is inserted as it is"),
        ("{\"port\":{{WEB_PORT}}}", "{\"port\":3001}", "JSON around a placeholder keeps its braces"),
        ("{{{A}}}", "{1}", "only the innermost pair of braces belongs to the placeholder"),
        ("{{{{A}}}}", "{{1}}", "nested deeper, the same"),
        ("{{A}", "{{A}", "an unclosed placeholder is text"),
        ("{{A}}}", "1}", "a brace after a placeholder is text"),
        ("{{A{{B}}", "{{A2", "an opening inside a name starts again"),
        ("{{", "{{", "lone opening braces"),
        ("}}}", "}}}", "lone closing braces"),
        ("{{}}", "{{}}", "an empty name is not a placeholder"),
        ("{{ A }}", "{{ A }}", "spaces make it another tool's"),
        ("{{.Names}}", "{{.Names}}", "docker --format"),
        ("{{json .}}", "{{json .}}", "a Go template function"),
        ("{{a}}", "{{a}}", "lowercase names other than port are another tool's"),
        ("{{Port}}", "{{Port}}", "mixed case is not port"),
        ("{{portal}}", "{{portal}}", "port must be the whole name"),
        ("{{1A}}", "{{1A}}", "a name cannot start with a digit"),
        ("{{A-B}}", "{{A-B}}", "a dash is not part of a name"),
        ("{{É}}", "{{É}}", "names are ASCII"),
        ("ü{{A}}ß\u{1F680}{{B}}", "ü1ß\u{1F680}2", "unicode around placeholders survives"),
        ("{ {A}}", "{ {A}}", "the two braces must touch"),
        ("", "", "an empty argument"),
        ("$WEB_PORT", "$WEB_PORT", "shell syntax is left to the shell"),
    ]

    @Test("expands", arguments: expansions)
    func expands(_ input: String, _ expected: String, _ why: String) throws {
        for port in [7, nil] as [Int?] {
            let result = try Placeholders.expand([input], variables: Self.variables, servicePort: port)
            #expect(result == [expected], "\(why): \(input.debugDescription) with servicePort \(String(describing: port))")
        }
    }

    @Test func portMeansTheServicesPort() throws {
        let result = try Placeholders.expand(["vite", "--port", "{{port}}", "--api={{API_PORT}}"], variables: Self.variables, servicePort: 3005)
        #expect(result == ["vite", "--port", "3005", "--api=8002"])
    }

    @Test func argumentsAreNeverSplitOrJoined() throws {
        let arguments = ["a b", "", "{{A}} {{B}}", "x\ny", "--flag"]
        let result = try Placeholders.expand(arguments, variables: ["A": "one two", "B": ""], servicePort: nil)
        #expect(result == ["a b", "", "one two ", "x\ny", "--flag"])
    }

    @Test func unknownNameSaysDidYouMean() throws {
        let lines = try failure { try Placeholders.expand(["--port={{WEB_PROT}}"], variables: Self.variables, servicePort: nil) }
        #expect(lines == ["error: unknown placeholder {{WEB_PROT}} in '--port={{WEB_PROT}}' (did you mean {{WEB_PORT}}?)"])
    }

    @Test func unknownNameFarFromAnyListsWhatThereIs() throws {
        let lines = try failure { try Placeholders.expand(["{{DATABASE_URL}}"], variables: ["WEB_PORT": "1", "STYXY_PROJECT": "x"], servicePort: nil) }
        #expect(lines == ["error: unknown placeholder {{DATABASE_URL}} in '{{DATABASE_URL}}' (placeholders here: {{STYXY_PROJECT}}, {{WEB_PORT}})"])
    }

    @Test func uppercasePortPointsToLowercaseWhenAServiceRuns() throws {
        let lines = try failure { try Placeholders.expand(["{{PORT}}"], variables: ["WEB_PORT": "1"], servicePort: 4000) }
        #expect(lines == ["error: unknown placeholder {{PORT}} in '{{PORT}}' (did you mean {{port}}?)"])
    }

    @Test func lowercasePortWithoutAServiceAsksForOne() throws {
        let lines = try failure { try Placeholders.expand(["-p", "{{port}}"], variables: Self.variables, servicePort: nil) }
        #expect(lines.count == 1)
        #expect(lines[0].hasPrefix("error: {{port}} in '{{port}}' names no port"))
        #expect(lines[0].contains("{{API_PORT}}") && lines[0].contains("`styxy run SERVICE`"), "names a variable and a service: \(lines[0])")
    }

    @Test func everyProblemOnceInOrder() throws {
        let error = try #require(throws: StyxyError.self) {
            try Placeholders.expand(["{{NOPE}}", "{{port}}", "x{{NOPE}}", "{{ZZZ}}", "{{A}}"], variables: ["A": "1"], servicePort: nil)
        }
        #expect(error.exitStatus == .usage)
        let messages = error.diagnostics.map(\.message)
        #expect(messages.count == 3)
        #expect(messages[0].hasPrefix("unknown placeholder {{NOPE}}"))
        #expect(messages[1].hasPrefix("{{port}}"))
        #expect(messages[2].hasPrefix("unknown placeholder {{ZZZ}}"))
    }

    @Test func controlCharactersInAnArgumentStayOutOfTheMessage() throws {
        let lines = try failure { try Placeholders.expand(["\u{1b}[31m{{X}}\n"], variables: [:], servicePort: nil) }
        #expect(lines.count == 1)
        #expect(!lines[0].unicodeScalars.contains { $0.value < 0x20 }, "\(lines[0].debugDescription)")
        #expect(lines[0].hasSuffix("(no variables are set)"))
    }

    /// A differential check against the plain definition, a regular expression replaced from the
    /// left, on every text of up to five pieces that placeholders are made of.
    @Test func agreesWithARegularExpression() throws {
        let pieces = ["{", "}", "{{", "}}", "A", "LOOP", "1", "port", "é"]
        let pattern = try NSRegularExpression(pattern: #"\{\{([A-Z_][A-Z0-9_]*|port)\}\}"#)
        var texts = [""]
        var layer = [""]
        for _ in 0..<5 {
            layer = layer.flatMap { text in pieces.map { text + $0 } }
            texts += layer
        }
        var expanded = 0
        for text in texts {
            for port in [7, nil] as [Int?] {
                let known = Self.variables.merging(port.map { ["port": String($0)] } ?? [:]) { a, _ in a }
                let matches = pattern.matches(in: text, range: NSRange(text.startIndex..., in: text))
                let names = matches.map { String(text[Range($0.range(at: 1), in: text)!]) }
                do {
                    let result = try Placeholders.expand([text], variables: Self.variables, servicePort: port)
                    var reference = ""
                    var last = text.startIndex
                    for (match, name) in zip(matches, names) {
                        let range = Range(match.range, in: text)!
                        reference += text[last..<range.lowerBound] + (known[name] ?? "<unknown \(name)>")
                        last = range.upperBound
                    }
                    reference += text[last...]
                    #expect(result == [reference], "\(text.debugDescription), servicePort \(String(describing: port))")
                    expanded += matches.isEmpty ? 0 : 1
                } catch {
                    #expect(names.contains { known[$0] == nil }, "refused \(text.debugDescription): \(error)")
                }
            }
        }
        #expect(expanded > 1000, "only \(expanded) texts held a placeholder")
    }

    private func failure(_ body: () throws -> [String]) throws -> [String] {
        let error = try #require(throws: StyxyError.self) { try body() }
        #expect(error.exitStatus == .usage)
        return error.diagnostics.map(\.rendered)
    }
}
