import Foundation
import StyxyCore
import StyxyTestSupport
import Testing

@testable import StyxyRender

/// DESIGN §9: rendered output has a size cap, enforced before rendering (docs/templates.md#output-size).
@Suite("Bounded rendering")
struct RenderBoundTests {
    /// A large project: every service has a command and two ports, one with two variables, so
    /// there are `count` × 3 variables.
    static func project(services count: Int, root: String = "/home/dev/big") -> RenderContext {
        let services = (0..<count).map { index in
            ServiceContext(
                name: "svc\(index)", type: "dev",
                ports: [
                    NamedPortContext(name: "a", port: 3000 + index, env: ["S\(index)_A_PORT"],
                                     compose: ComposeContext(service: "svc\(index)", target: 80)),
                    NamedPortContext(name: "b", port: 20000 + index, env: ["S\(index)_B_PORT", "X\(index)_PORT"]),
                ],
                command: "serve --port \(3000 + index) --name 'svc \(index)'")
        }
        return RenderContext(project: "big", root: root, instance: "default", manifest: "styxy.yaml", services: services)
    }

    static var threeHundred: PreparedContext { PreparedContext(project(services: 300)) }

    static func refusal(_ source: String, _ context: PreparedContext = threeHundred) throws -> [String] {
        let template = try OutputTemplate(source: source, name: "explode", displayName: "explode.mustache")
        do {
            let text = try template.render(context)
            Issue.record("rendered \(text.utf8.count) bytes")
            return []
        } catch {
            #expect(error.exitStatus == .invalidInput)
            return error.diagnostics.map(\.rendered)
        }
    }

    /// Rendered, this is gigabytes; it must be refused from the tags, before rendering starts (a
    /// test run that finishes at all shows nothing was rendered), at the section where the bound
    /// passes 8 MiB.
    @Test func nestedSectionsOverDifferentListsAreRefusedAtTheSectionThatExplodes() throws {
        let source = "{{#services}}{{#variables}}{{#ports}}{{#env}}{{#command_services}}{{name}}"
            + "{{/command_services}}{{/env}}{{/ports}}{{/variables}}{{/services}}"
        let lines = try Self.refusal(source)
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.hasPrefix("explode.mustache:1:17: error: section 'variables' could make this output larger than 8 MiB (up to "), "\(line)")
        #expect(line.hasSuffix("(sections over different lists inside each other multiply: services (300) × variables (900) × ports (2) "
                               + "× env (2) × command_services (300); render each list on its own)"), "\(line)")
    }

    /// Nothing printed, but 81 million list items visited: bounded by steps, not bytes.
    @Test func emptySectionsAreBoundedByTheirSteps() throws {
        let lines = try Self.refusal("{{#services}}{{#variables}}{{#command_services}}{{/command_services}}{{/variables}}{{/services}}")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("explode.mustache:1:4: error: section 'services' could take more than 1,048,576 steps to render") == true,
                "\(lines)")
    }

    /// Without any section: 2,048 copies of a 4,096-byte root fill 8 MiB, so the next one passes it.
    @Test func aVariableRepeatedPastTheCapIsRefusedWhereItPassesIt() throws {
        let context = PreparedContext(Self.project(services: 1, root: "/" + String(repeating: "r", count: 4095)))
        let lines = try Self.refusal(String(repeating: "{{root}}", count: 3000), context)
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("explode.mustache:1:\(2048 * 8 + 3): error: 'root' could make this output larger than 8 MiB") == true,
                "\(lines)")
    }

    @Test("every built-in template renders for 300 services", arguments: TemplateStore.builtinNames)
    func builtinTemplatesRenderForALargeProject(_ name: String) throws {
        let text = try TemplateStore.builtin(name).render(Self.threeHundred)
        #expect(text.contains("299"), "the last service is missing")
        if name == "json" {
            let parsed = try #require(try parseJSON(text) as? [String: Any])
            #expect((parsed["services"] as? [Any])?.count == 300)
        }
    }

    /// A cross product that is real and stays under the caps renders: each service's block lists
    /// every variable of the project.
    @Test func aNestedTemplateUnderTheCapsRenders() throws {
        let template = try OutputTemplate(
            source: "{{#services}}{{name}}:\n{{#variables}}  {{name}}={{value}}\n{{/variables}}{{/services}}", name: "all", displayName: "all")
        let text = try template.render(PreparedContext(Self.project(services: 100)))
        #expect(text.split(separator: "\n").count == 100 * (1 + 300))
    }

    /// The bound is an upper one: over random templates and projects, never below what renders.
    @Test func theBoundIsNeverBelowTheRenderedSize() throws {
        var random = SplitMix64(seed: 0x5717_0b0d)
        var compared = 0
        for round in 0..<4000 {
            let source = RandomTemplate.make(using: &random)
            guard let template = try? OutputTemplate(source: source, name: "r", displayName: "r") else { continue }
            let context = PreparedContext(RandomTemplate.context(using: &random))
            guard case .success(let bound) = template.bound.measure(context.extent) else { continue }
            let text = try template.render(context)
            #expect(bound.bytes >= text.utf8.count, "round \(round): bound \(bound.bytes) < \(text.utf8.count) for \(source.debugDescription)")
            compared += 1
        }
        // Most random templates name something out of scope; enough must compile to mean anything.
        #expect(compared >= 500, "only \(compared) templates compiled")
    }
}

/// Random small templates over the render context's names, and random small projects with text
/// that HTML escaping lengthens.
enum RandomTemplate {
    static let texts = ["x", "\n", " ", "ab", "\"&<>'", "é", "  - "]
    static let values = [
        "project", "root", "instance", "manifest", "project_json", "root_shell", "name", "name_json", "name_yaml",
        "type", "port", "command", "command_json", "command_shell", "value", "index", "first", "last", "shared",
        "target", "host", "published", "service", "compose.service", "compose.target", "port_name", "{name}", "&name",
    ]
    static let sections = [
        "services", "variables", "command_services", "compose_services", "ports", "env", "compose", "has_services",
        "has_command", "has_compose", "first", "last", "command", "project",
    ]

    static func make(using random: inout SplitMix64) -> String {
        var source = random.next(below: 5) == 0 ? "{{%CONTENT_TYPE:HTML}}" : ""
        source += body(depth: 0, using: &random)
        return source
    }

    private static func body(depth: Int, using random: inout SplitMix64) -> String {
        var text = ""
        for _ in 0..<random.next(below: 5) {
            switch random.next(below: 6) {
            case 0, 1: text += texts[random.next(below: texts.count)]
            case 2, 3:
                let name = values[random.next(below: values.count)]
                text += name.hasPrefix("{") ? "{{\(name)}}}" : "{{\(name)}}"
            default:
                guard depth < 4 else { continue }
                let name = sections[random.next(below: sections.count)]
                let sigil = random.next(below: 4) == 0 ? "^" : "#"
                text += "{{\(sigil)\(name)}}" + body(depth: depth + 1, using: &random) + "{{/\(name)}}"
            }
        }
        return text
    }

    static func context(using random: inout SplitMix64) -> RenderContext {
        let words = ["web", "api", "a\"b", "x&y", "<z>", "é'é", "long-\(String(repeating: "n", count: 40))"]
        func word() -> String { words[random.next(below: words.count)] }
        let services = (0..<random.next(below: 4)).map { index in
            ServiceContext(
                name: "s\(index)", type: word(),
                ports: (0..<(1 + random.next(below: 3))).map { portIndex in
                    NamedPortContext(
                        name: "p\(portIndex)", port: 1 + random.next(below: 65535),
                        env: (0..<random.next(below: 3)).map { "S\(index)_P\(portIndex)_\($0)_PORT" },
                        compose: random.next(below: 2) == 0 ? nil : ComposeContext(service: word(), target: 80, hostIP: "::1"))
                },
                command: random.next(below: 2) == 0 ? nil : word() + " " + word(), shared: random.next(below: 2) == 0)
        }
        return RenderContext(project: word(), root: "/" + word(), instance: "default", manifest: "styxy.yaml", services: services)
    }
}

/// A seeded generator, so a failing round can be replayed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    mutating func next(below bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }
}
