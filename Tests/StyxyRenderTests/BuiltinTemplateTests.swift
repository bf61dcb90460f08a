import Foundation
import StyxyCore
import StyxyTestSupport
import Testing

@testable import StyxyRender

@Suite("Built-in templates")
struct BuiltinTemplateTests {
    static let templatesFolder = Repository.path("templates")
    static let goldenFolder = Repository.path("Tests/Fixtures/golden/render")

    @Test("every templates/*.mustache is embedded byte for byte, and nothing else is")
    func embeddedCopiesMatchTheSourceTree() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.templatesFolder)
            .filter { $0.hasSuffix(".mustache") }.sorted()
        let names = files.map { String($0.dropLast(".mustache".count)) }
        #expect(names == TemplateStore.builtinNames, "run scripts/generate-embedded.py")
        for file in files {
            let onDisk = try FileIO.readString(Self.templatesFolder + "/" + file)
            let name = String(file.dropLast(".mustache".count))
            #expect(TemplateStore.source(of: name) == onDisk, "templates/\(file) differs from its embedded copy; run scripts/generate-embedded.py")
        }
    }

    @Test("the built-ins DESIGN.md promises exist")
    func promisedBuiltins() {
        for name in ["dotenv", "compose-override", "npm-scripts", "json", "shell"] {
            #expect(TemplateStore.builtinNames.contains(name))
        }
    }

    static let goldenCases: [(template: String, context: String)] = [
        ("dotenv", "sample"), ("compose-override", "sample"), ("npm-scripts", "sample"), ("json", "sample"),
        ("shell", "sample"), ("compose-override", "empty"), ("npm-scripts", "empty"), ("json", "empty"),
        ("compose-override", "instance"),
    ]

    @Test("renders match the checked-in goldens (STYXY_UPDATE_GOLDENS=1 rewrites them)",
          arguments: goldenCases.map { "\($0.template).\($0.context)" })
    func golden(_ id: String) throws {
        let parts = id.split(separator: ".").map(String.init)
        let context = switch parts[1] {
        case "empty": Sample.empty
        case "instance": Sample.instance
        default: Sample.context
        }
        let rendered = try renderBuiltin(parts[0], context)
        let path = Self.goldenFolder + "/" + id + ".golden"
        if ProcessInfo.processInfo.environment["STYXY_UPDATE_GOLDENS"] == "1" {
            try FileManager.default.createDirectory(atPath: Self.goldenFolder, withIntermediateDirectories: true)
            try Data(rendered.utf8).write(to: URL(fileURLWithPath: path))
            return
        }
        let golden = try FileIO.readString(path)
        let expected = try #require(golden, "missing golden \(path); run with STYXY_UPDATE_GOLDENS=1 and review it")
        if rendered != expected {
            Issue.record("""
                \(id) differs from its golden (STYXY_UPDATE_GOLDENS=1 rewrites it):
                \(LineDiff.unified(old: expected, new: rendered, oldName: "golden/\(id)", newName: "rendered/\(id)"))
                """)
        }
    }

    @Test("a non-default instance is a Compose project of its own, named by Compose's rules", arguments: [
        ("shop", "agent-1", "shop-agent-1"), ("My Shop!", "Agent_2", "myshop-agent_2"), ("_web", "ci.3", "web-ci3"),
        ("écoles", "x", "coles-x"), ("--", "-", ""),
    ])
    func composeProjectName(_ project: String, _ instance: String, _ expected: String) {
        #expect(RenderContext.composeProjectName("\(project)-\(instance)") == expected)
        var context = Sample.context
        context.project = project
        context.instance = instance
        #expect(context.composeProject == (expected.isEmpty ? nil : expected))
        context.instance = "default"
        #expect(context.composeProject == nil, "the default instance keeps Compose's own name, the folder's")
    }

    @Test("rendering is deterministic: services in any order give the same bytes")
    func deterministic() throws {
        var shuffled = Sample.context
        shuffled.services.reverse()
        for name in TemplateStore.builtinNames {
            #expect(try renderBuiltin(name, shuffled) == renderBuiltin(name))
        }
    }

    @Test("an unknown built-in name is exit 65 with a suggestion")
    func unknownBuiltin() {
        let error = failure { () throws(StyxyError) in try TemplateStore.builtin("dotnev") }
        #expect(error?.exitStatus == .invalidInput)
        #expect(error?.description.contains("did you mean 'dotenv'?") == true)
    }

    @Test("a file reference loads relative to the manifest and is named by its path")
    func fileReference() throws {
        let project = try TemporaryFolder("render")
        try project.write("tpl/ports.mustache", "{{#variables}}{{name}}:{{value}}\n{{/variables}}")
        let template = try TemplateStore.load(reference: "tpl/ports.mustache", relativeTo: project.path)
        #expect(template.displayName == project.file("tpl/ports.mustache"))
        #expect(!template.isBuiltin)
        #expect(try template.render(Sample.context).hasPrefix("API_PORT:8000\nEMULATORS_UI_PORT:4000\n"))

        let missing = failure { () throws(StyxyError) in try TemplateStore.load(reference: "./nope.mustache", relativeTo: project.path) }
        #expect(missing?.exitStatus == .invalidInput)
        #expect(try TemplateStore.load(reference: "json", relativeTo: project.path).isBuiltin)
    }
}
