import Foundation
import Mustache
import StyxyCore
import Testing

@testable import StyxyRender

/// StyxyRender's Mustache engine against swift-mustache 2.1.1, the library it replaced: every
/// template either renders to the same bytes in both or is refused with the same located message.
/// The reference is the pipeline as it was (scanner, then the library's parser behind the
/// `CONTENT_TYPE:TEXT` pragma line, then the validator, then the library's renderer).
@Suite("Mustache engine against swift-mustache")
struct MustacheDifferentialTests {
    static let file = "t.mustache"
    static let hint = "see the docs"

    /// What the engine makes of `source`: the rendered text, or the error as printed.
    static func ours(_ source: String, _ value: TemplateValue, shape: Shape = RenderContext.schema) -> String {
        do {
            return try StrictMustache.compile(source, against: shape, file: file, fallbackHint: hint).render(value)
        } catch {
            return "error: \(error)"
        }
    }

    static func reference(_ source: String, _ value: TemplateValue, shape: Shape = RenderContext.schema) -> String {
        do {
            let tags = try TemplateScanner.scan(source, file: file)
            let template: MustacheTemplate
            do {
                template = try MustacheTemplate(string: "{{%CONTENT_TYPE:TEXT}}\n" + source)
            } catch let error as MustacheTemplate.ParserError {
                throw StyxyError(.invalidInput, StrictMustache.describe(failure(error.error)),
                                 at: SourceLocation(file: file, line: max(1, error.context.lineNumber - 1), column: error.context.columnNumber))
            }
            let problems = TemplateValidator.validate(tags, against: shape, file: file, fallbackHint: hint)
            if !problems.isEmpty { throw StyxyError(.invalidInput, problems) }
            return template.render(library(value))
        } catch {
            return "error: \(error)"
        }
    }

    /// The library's error as the engine names it; anything else is its read past the end.
    static func failure(_ error: any Error) -> MustacheParser.Failure {
        switch error as? MustacheTemplate.Error {
        case .sectionCloseNameIncorrect?: .sectionCloseNameIncorrect
        case .unfinishedName?: .unfinishedName
        case .expectedSectionEnd?: .expectedSectionEnd
        case .invalidSetDelimiter?: .invalidSetDelimiter
        case .transformAppliedToInheritanceSection?: .transformAppliedToInheritanceSection
        case .illegalTokenInsideInheritSection?, .textInsideInheritSection?: .illegalTokenInsideInheritSection
        case .invalidConfigVariableSyntax?: .invalidConfigVariableSyntax
        case .unrecognisedConfigVariable?: .unrecognisedConfigVariable
        case nil: .overflow
        }
    }

    /// A value as the library was handed it: dictionaries, arrays, and NSNull for absent fields.
    static func library(_ value: TemplateValue) -> Any {
        switch value {
        case .text(let text): text
        case .number(let number): number
        case .bool(let flag): flag
        case .null: NSNull()
        case .object(let fields): fields.mapValues(library)
        case .list(let items): items.map(library)
        }
    }

    static func expectSame(_ source: String, _ value: TemplateValue, shape: Shape = RenderContext.schema,
                           sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Bool {
        let (mine, theirs) = (ours(source, value, shape: shape), reference(source, value, shape: shape))
        #expect(mine == theirs, "template \(source.debugDescription)", sourceLocation: sourceLocation)
        return !mine.hasPrefix("error: ")
    }

    static let contexts = [Sample.context, Sample.instance, Sample.empty, RenderBoundTests.project(services: 3)]

    @Test("every built-in template, for every sample project", arguments: TemplateStore.builtinNames)
    func builtins(_ name: String) throws {
        let source = try #require(TemplateStore.source(of: name))
        for context in Self.contexts {
            #expect(Self.expectSame(source, PreparedContext(context).value))
        }
    }

    @Test("the templates in the repository's examples and fixtures",
          arguments: ["manifests/full-stack/ports.md.mustache", "Tests/Fixtures/manifests/valid/own-template.mustache"])
    func repositoryTemplates(_ path: String) throws {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        let source = try String(contentsOfFile: url.path + "/" + path, encoding: .utf8)
        for context in Self.contexts {
            #expect(Self.expectSame(source, PreparedContext(context).value))
        }
    }

    @Test func commandsOfTheSampleProject() {
        for service in Sample.context.services {
            var fields: [String: TemplateValue] = ["port": .number(service.port), "name": .text(service.name), "API_PORT": .number(8000)]
            fields["ports"] = .object(Dictionary(uniqueKeysWithValues: service.ports.map { ($0.name, .number($0.port)) }))
            let value = TemplateValue.object(fields)
            for command in ["vite --port {{port}}", "--ui {{ports.ui}} {{name}}", "echo {", "a {{API_PORT}}\r\n{{#port}}{{.}}{{/port}}"] {
                _ = Self.expectSame(command, value, shape: Shape.infer(value))
            }
        }
    }

    /// Where swift-mustache's reading departs from the spec, named one by one: the engine keeps it.
    @Test(arguments: [
        "{{project}}\n  \t",                                      // a last line of blanks is dropped
        "echo {",                                                  // a `{` at the very end reads past it
        "{{#has_services}}\nX{{/has_services}}  {{#first}}\n{{/first}}\n",  // the close leaves the line state to the open
        "{{#has_services}}\r\n{{/has_services}}\u{85}a\r{{project}}\u{0B}", // other newline characters
        "{{=<% %>=}}<%! a %%> %><%project%>",                      // `%%>` does not end a comment
        "a\r\nb\r\n{{project name}}",                              // CRLF lines: the column counts from the top
        "a\rb\n{{project name}}",                                     // a lone \r and a later \n count as one line
    ])
    func quirks(_ source: String) {
        _ = Self.expectSame(source, PreparedContext(Sample.context).value)
    }

    /// Templates made of names the context has: most compile, so rendering is compared.
    @Test func randomTemplatesOverTheContext() {
        var random = SplitMix64(seed: 0x0d1f_f3e7)
        var rendered = 0
        for _ in 0..<3000 {
            let source = RandomTemplate.make(using: &random)
            let value = PreparedContext(RandomTemplate.context(using: &random)).value
            if Self.expectSame(source, value) { rendered += 1 }
        }
        #expect(rendered >= 500, "only \(rendered) random templates rendered")
    }

    /// Tags, sigils, delimiters, pragmas and line breaks thrown together, whitespace around
    /// tags included: the standalone-line rules and the parser's errors are compared here.
    @Test func hostileTemplates() {
        var random = SplitMix64(seed: 0x57a4_d1a1)
        var rendered = 0
        var refusedByTheParser = 0
        let value = PreparedContext(Sample.context).value
        for _ in 0..<6000 {
            let source = HostileTemplate.make(using: &random)
            if Self.expectSame(source, value) { rendered += 1 }
            if case .some = try? TemplateScanner.scan(source, file: "x"), (try? CompiledTemplate(parsing: source)) == nil {
                refusedByTheParser += 1
            }
        }
        #expect(rendered >= 1000, "only \(rendered) rendered")
        #expect(refusedByTheParser >= 100, "only \(refusedByTheParser) reached the parser's own errors")
    }
}

extension MustacheDifferentialTests {
    @Test func emptySectionWithOneCharacterDelimiters() throws {
        let source = "{{=[ ]=}}\n[#has_services][/has_services][project]\n"
        let template = try StrictMustache.compile(source, against: RenderContext.schema, file: "t", fallbackHint: "")
        #expect(template.render(PreparedContext(Sample.context).value) == "shop\n")
    }
}

/// Random pieces of Mustache syntax, mostly well-formed, with the whitespace and line breaks that
/// decide whether a tag stands alone.
enum HostileTemplate {
    static let spaces = ["", "", " ", "  ", "\t", " \t"]
    static let breaks = ["\n", "\n", "\r\n", "\r", "\u{85}", "\u{0B}"]
    static let texts = ["x", "ab", "{", "}", "}}", "<&'\">", "é", "e\u{301}", "\u{212A}", "%", "=", "(", "{{", " {"]
    static let names = [
        "project", "name", "port", "services", "ports", "env", "first", "last", "has_services", "compose",
        "compose.service", ".", ".name", "command", "variables", "value", "f(project)", "f(g(x))", "a b", "x)", "nope", "",
    ]
    static let sections = ["services", "has_services", "ports", "env", "compose", "command", "first", "project", "nope"]
    static let sigils = ["", "", "", "&", "{", "!", ">", "<", "$", "%", "=", "/", "#", "^"]
    static let pragmas = ["CONTENT_TYPE:HTML", "CONTENT_TYPE:TEXT", "CONTENT_TYPE : TEXT", "CONTENT_TYPE:XML", "NOPE:TEXT", ":", "CONTENT_TYPE"]
    /// Start delimiters of two characters or more: with one, the library crashed on a section
    /// closed right after it opened (it took the section's text to end two characters before
    /// the `/`); `emptySectionWithOneCharacterDelimiters` holds the engine to rendering it.
    static let delimiters = [("<%", "%>"), ("[[", "]"), ("{{", "}}"), ("|||", "|")]

    static func make(using random: inout SplitMix64) -> String {
        var state = (open: "{{", close: "}}")
        return body(depth: 0, state: &state, using: &random)
    }

    private static func pick<T>(_ items: [T], _ random: inout SplitMix64) -> T { items[random.next(below: items.count)] }

    private static func body(depth: Int, state: inout (open: String, close: String), using random: inout SplitMix64) -> String {
        var text = ""
        for _ in 0..<random.next(below: 7) {
            let (open, close) = state
            switch random.next(below: 10) {
            case 0, 1: text += pick(texts, &random)
            case 2, 3: text += pick(breaks, &random) + pick(spaces, &random)
            case 4, 5:
                let name = pick(names, &random)
                text += [open + name + close, open + "{" + name + "}" + close, open + "& " + name + " " + close][random.next(below: 3)]
            case 6:
                let sigil = pick(sigils, &random)
                let inner: String
                switch sigil {
                case "%": inner = pick(pragmas, &random)
                case "=":
                    let next = pick(delimiters, &random)
                    inner = " \(next.0) \(next.1) ="
                    if random.next(below: 4) != 0 { state = next }
                case "!": inner = " a \(close.prefix(1)) comment "
                default: inner = pick(names, &random)
                }
                text += open + sigil + inner + close
            default:
                guard depth < 3 else { continue }
                let name = pick(sections, &random)
                let sigil = random.next(below: 3) == 0 ? "^" : "#"
                text += pick(spaces, &random) + open + sigil + name + close + pick(spaces, &random) + pick(breaks, &random)
                text += body(depth: depth + 1, state: &state, using: &random)
                text += pick(spaces, &random) + state.open + "/" + name + state.close + pick(spaces, &random)
                if random.next(below: 2) == 0 { text += pick(breaks, &random) }
            }
        }
        return text
    }
}
