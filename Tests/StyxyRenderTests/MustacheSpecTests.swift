import Testing

@testable import StyxyRender

/// The Mustache spec's rules for the part of the language Styxy supports (interpolation,
/// sections, inverted sections, comments, delimiter changes, standalone lines), restated as cases
/// of our own. They run against the engine alone, with data of their own, so names outside
/// Styxy's render context are fine here.
@Suite("Mustache spec behaviour")
struct MustacheSpecTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var what: String
        var template: String
        var data: TemplateValue
        var expected: String
        var testDescription: String { what }
    }

    static func object(_ fields: [String: TemplateValue]) -> TemplateValue { .object(fields) }

    static let interpolation: [Case] = [
        Case(what: "text without tags passes through", template: "Plain {text} }} here\n", data: object([:]), expected: "Plain {text} }} here\n"),
        Case(what: "a name prints its value", template: "Port {{port}} for {{who}}.", data: object(["port": .number(3000), "who": .text("web")]),
             expected: "Port 3000 for web."),
        Case(what: "spaces inside the tag are ignored", template: "[{{ who }}|{{{ who }}}|{{& who }}]", data: object(["who": .text("a")]),
             expected: "[a|a|a]"),
        Case(what: "plain text by default: nothing is escaped", template: "{{v}}", data: object(["v": .text("<&\"'>")]), expected: "<&\"'>"),
        Case(what: "the HTML pragma escapes double-brace tags only", template: "{{%CONTENT_TYPE:HTML}}{{v}} {{{v}}} {{&v}}",
             data: object(["v": .text("<a href='x'>&\"")]), expected: "&lt;a href=&#39;x&#39;&gt;&amp;&quot; <a href='x'>&\" <a href='x'>&\""),
        Case(what: "booleans print as words", template: "{{yes}}/{{no}}", data: object(["yes": .bool(true), "no": .bool(false)]), expected: "true/false"),
        Case(what: "an absent name prints nothing", template: "[{{missing}}]", data: object([:]), expected: "[]"),
        Case(what: "a null prints nothing", template: "[{{gone}}]", data: object(["gone": .null]), expected: "[]"),
        Case(what: "dotted names walk into objects", template: "{{a.b.c}}", data: object(["a": object(["b": object(["c": .text("deep")])])]),
             expected: "deep"),
        Case(what: "a broken dotted chain prints nothing", template: "[{{a.x.c}}]", data: object(["a": object(["b": .number(1)])]), expected: "[]"),
        Case(what: "only the first part of a dotted name looks outwards",
             template: "{{#a}}[{{b.c}}]{{/a}}", data: object(["a": object(["b": object([:])]), "b": object(["c": .text("outer")])]),
             expected: "[]"),
        Case(what: "the innermost scope wins", template: "{{#inner}}{{x}}{{/inner}} {{x}}",
             data: object(["x": .text("outer"), "inner": object(["x": .text("inner")])]), expected: "inner outer"),
        Case(what: "a leading dot looks in the current scope only", template: "{{#inner}}[{{.x}}]{{/inner}}",
             data: object(["x": .text("outer"), "inner": object([:])]), expected: "[]"),
        Case(what: "a null stops lookup before outer scopes", template: "{{#inner}}[{{x}}]{{/inner}}",
             data: object(["x": .text("outer"), "inner": object(["x": .null])]), expected: "[]"),
        Case(what: "interpolation tags never stand alone", template: "  {{x}}\n", data: object(["x": .text("v")]), expected: "  v\n"),
    ]

    static let sections: [Case] = [
        Case(what: "true shows a section, false hides it", template: "{{#t}}shown{{/t}}{{#f}}hidden{{/f}}",
             data: object(["t": .bool(true), "f": .bool(false)]), expected: "shown"),
        Case(what: "an object section makes the object the scope", template: "{{#o}}{{name}}{{/o}}",
             data: object(["o": object(["name": .text("in o")])]), expected: "in o"),
        Case(what: "a list section repeats per item", template: "{{#l}}<{{n}}>{{/l}}",
             data: object(["l": .list([object(["n": .number(1)]), object(["n": .number(2)])])]), expected: "<1><2>"),
        Case(what: "an empty list, a null and a missing name hide a section", template: "{{#l}}a{{/l}}{{#z}}b{{/z}}{{#m}}c{{/m}}|",
             data: object(["l": .list([]), "z": .null]), expected: "|"),
        Case(what: "a scalar section shows and becomes the scope", template: "{{#s}}({{.}}){{/s}}{{#e}}[{{.}}]{{/e}}",
             data: object(["s": .number(0), "e": .text("")]), expected: "(0)[]"),
        Case(what: "the implicit iterator prints each scalar item", template: "{{#l}}{{.}},{{/l}}",
             data: object(["l": .list([.text("a"), .number(2)])]), expected: "a,2,"),
        Case(what: "nested sections see outer names", template: "{{#a}}{{#b}}{{x}}{{y}}{{/b}}{{/a}}",
             data: object(["a": object(["x": .text("1"), "b": object(["y": .text("2")])])]), expected: "12"),
        Case(what: "inverted sections show for false, empty, null and missing",
             template: "{{^f}}1{{/f}}{{^l}}2{{/l}}{{^z}}3{{/z}}{{^m}}4{{/m}}{{^t}}5{{/t}}{{^o}}6{{/o}}",
             data: object(["f": .bool(false), "l": .list([]), "z": .null, "t": .bool(true), "o": object([:])]), expected: "1234"),
        Case(what: "inline sections keep the text around them", template: " | {{#t}}\t|\t{{/t}} | \n",
             data: object(["t": .bool(true)]), expected: " | \t|\t | \n"),
        Case(what: "standalone section lines vanish", template: "begin\n{{#t}}\nmiddle\n{{/t}}\nend\n",
             data: object(["t": .bool(true)]), expected: "begin\nmiddle\nend\n"),
        Case(what: "indented standalone lines vanish with their indentation", template: "begin\n  {{#t}}\n  middle\n\t{{/t}}  \nend\n",
             data: object(["t": .bool(true)]), expected: "begin\n  middle\nend\n"),
        Case(what: "a CRLF standalone line vanishes with its CRLF", template: "|\r\n{{#t}}\r\n{{/t}}\r\n|",
             data: object(["t": .bool(true)]), expected: "|\r\n|"),
        Case(what: "a standalone tag on the last line needs no line break", template: "#{{#t}}\n/\n  {{/t}}",
             data: object(["t": .bool(true)]), expected: "#\n/\n"),
        Case(what: "a tag with text on its line is not standalone", template: "a {{#t}}\nb{{/t}} c\n",
             data: object(["t": .bool(true)]), expected: "a \nb c\n"),
    ]

    static let commentsAndDelimiters: [Case] = [
        Case(what: "an inline comment vanishes", template: "12345{{! gone }}67890", data: object([:]), expected: "1234567890"),
        Case(what: "a standalone comment line vanishes", template: "Begin.\n  {{! gone }}\nEnd.\n", data: object([:]), expected: "Begin.\nEnd.\n"),
        Case(what: "a comment may span lines", template: "Begin.\n{{!\n  gone\n}}\nEnd.\n", data: object([:]), expected: "Begin.\nEnd.\n"),
        Case(what: "an indented inline comment keeps the text around it", template: "  12 {{! 34 }}\n", data: object([:]), expected: "  12 \n"),
        Case(what: "new delimiters replace the braces", template: "{{=<% %>=}}(<%x%>) {{x}}", data: object(["x": .text("v")]),
             expected: "(v) {{x}}"),
        Case(what: "a delimiter change holds inside sections", template: "{{=| |=}}|#t|[|x|]|/t|", data: object(["t": .bool(true), "x": .text("v")]),
             expected: "[v]"),
        Case(what: "a standalone delimiter change line vanishes", template: "Begin.\n  {{=@ @=}}\nEnd.@x@\n", data: object(["x": .text("!")]),
             expected: "Begin.\nEnd.!\n"),
        Case(what: "a delimiter change with text around it keeps the text", template: "  {{=@ @=}} |\n", data: object([:]), expected: "   |\n"),
    ]

    @Test(arguments: interpolation + sections + commentsAndDelimiters)
    func rule(_ rule: Case) throws {
        #expect(try CompiledTemplate(parsing: rule.template).render(rule.data) == rule.expected)
    }
}
