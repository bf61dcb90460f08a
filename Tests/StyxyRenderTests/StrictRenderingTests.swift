import StyxyCore
import Testing

@testable import StyxyRender

@Suite("Strict rendering")
struct StrictRenderingTests {
    func compile(_ source: String) throws(StyxyError) -> OutputTemplate {
        try OutputTemplate(source: source, name: "t", displayName: "tpl/ports.mustache")
    }

    /// The one diagnostic a template produces, as printed.
    func problem(_ source: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> String? {
        let error = failure({ () throws(StyxyError) in try compile(source) }, sourceLocation: sourceLocation)
        #expect(error?.exitStatus == .invalidInput, sourceLocation: sourceLocation)
        return error?.description
    }

    @Test("an unknown name is exit 65 at file:line:col, with a near miss suggested")
    func unknownName() {
        let text = problem("PROJECT={{project}}\n  {{#services}}\n{{name}}={{prot}}\n{{/services}}\n")
        #expect(text == "tpl/ports.mustache:3:12: error: unknown name 'prot' (did you mean 'port'?)")
    }

    @Test("every unknown name is reported at once")
    func allProblems() throws {
        let error = failure { () throws(StyxyError) in try compile("{{nope}} {{#services}}{{zip}}{{/services}}\n{{project}}{{again}}") }
        let locations = (error?.diagnostics ?? []).compactMap(\.location)
        #expect(locations.map { [$0.line, $0.column] } == [[1, 3], [1, 25], [2, 14]])
    }

    @Test("names resolve the way swift-mustache resolves them",
          arguments: [
              "{{#services}}{{project}} {{name}} {{#ports}}{{name}}{{port}}{{/ports}}{{/services}}",
              "{{#services}}{{#env}}{{name}}={{port}}{{^last}},{{/last}}{{/env}}{{/services}}",
              "{{#services}}{{compose.target}}{{#compose}}{{service_yaml}}{{/compose}}{{/services}}",
              "{{#variables}}{{.name}} {{value}}{{/variables}}",
              "{{#has_services}}{{project}}{{/has_services}}{{^services}}none{{/services}}",
              "{{#project}}{{.}}{{/project}}",
              "{{! a comment with {{braces}} }}{{=<% %>=}}<%project%> {{literal}}",
          ])
    func validNames(_ source: String) throws {
        _ = try compile(source)
    }

    @Test("misuses are caught where they are written",
          arguments: [
              ("{{#services}}{{.port}}{{.project}}{{/services}}", "1:25: error: the current item has no field 'project'"),
              ("{{services}}", "1:3: error: 'services' is a list, which prints as nothing useful"),
              ("{{#services}}{{compose}}{{/services}}", "1:16: error: 'compose' is an object"),
              ("{{#services}}{{compose.port}}{{/services}}", "1:16: error: 'compose' has no field 'port'"),
              ("{{> header}}", "1:5: error: partials and template inheritance ('header') are not supported"),
              ("{{uppercased(project)}}", "1:3: error: transforms such as 'uppercased(project)' are not supported"),
              ("{{#services}}{{name}}{{/service}}", "1:25: error: '{{/service}}' does not close section 'services'"),
              ("a\n{{/services}}", "2:4: error: '{{/services}}' closes a section that was never opened"),
              ("a\n  {{project", "2:3: error: tag opened here is never closed"),
              ("{{{project}}", "1:11: error: '{{{project' must end with '}}}'"),
              ("{{=<% %>}}", "1:1: error: malformed delimiter change"),
              ("{{project name}}", "1:11: error: malformed tag"),
          ])
    func misuse(_ source: String, _ expected: String) {
        let text = problem(source)
        #expect(text?.hasPrefix("tpl/ports.mustache:" + expected) == true, "got: \(text ?? "nil")")
    }

    @Test("an unclosed section is exit 65 naming the file and the line it opens on")
    func unclosedSection() {
        let text = problem("# header\n\n{{#services}}\n{{name}}\n")
        #expect(text == "tpl/ports.mustache:3:4: error: section 'services' is never closed (add {{/services}} where the section ends)")
    }

    @Test("output is plain text: nothing is HTML-escaped, and the pragma line leaves no trace")
    func noHTMLEscaping() throws {
        var context = Sample.context
        context.project = #"<a & "b" 'c'>"#
        #expect(try compile("{{project}}|{{{project}}}|{{&project}}").render(context) == #"<a & "b" 'c'>|<a & "b" 'c'>|<a & "b" 'c'>"#)
        #expect(try compile("\n{{project}}\n").render(Sample.empty) == "\nempty\n")
        #expect(try compile("{{#services}}\n{{name}}\n{{/services}}\n").render(Sample.context) == "api\nemulators\nollama\nweb\n")
    }

    @Test("library parse errors keep the template's own line numbers")
    func libraryErrorsAreMapped() {
        // The scanner accepts any tag text; the library refuses a pragma it does not know.
        let text = problem("line one\nline two {{%NOT_A_PRAGMA:X}}\n")
        #expect(text?.hasPrefix("tpl/ports.mustache:2:") == true, "got: \(text ?? "nil")")
    }

    @Test("a null optional stops lookup instead of falling through to an outer name")
    func nullOptionals() throws {
        let template = try compile("{{#services}}{{name}}:{{#command}}has{{/command}}{{^command}}none{{/command}} {{/services}}")
        #expect(try template.render(Sample.context) == "api:has emulators:has ollama:none web:has ")
    }
}
