import Foundation
import StyxyCore
import StyxyTestSupport
import Testing

@testable import StyxyRender

/// docs/templates.md is the context's public contract; its full example must stay true.
@Suite("docs/templates.md")
struct DocsExampleTests {
    /// The fenced blocks of one language, in order.
    func blocks(_ language: String) throws -> [String] {
        let text = try #require(try FileIO.readString(Repository.path("docs/templates.md")))
        return text.components(separatedBy: "```" + language + "\n").dropFirst()
            .map { String($0[..<$0.range(of: "\n```")!.lowerBound]) + "\n" }
    }

    /// The context the example's manifest leads to.
    let context = RenderContext(
        project: "shop", root: "/home/dev/shop", instance: "default", manifest: "styxy.yaml",
        services: [
            ServiceContext(name: "web", type: "dev", port: 3000, env: ["WEB_PORT"], command: "vite --port 3000 --strictPort"),
            ServiceContext(name: "api", type: "api", port: 8000, env: ["API_PORT", "PORT"],
                           compose: ComposeContext(service: "api", target: 8000, hostIP: "127.0.0.1")),
            ServiceContext(name: "emulators", type: "functions", ports: [
                NamedPortContext(name: "ui", port: 5000, env: ["EMULATORS_UI_PORT"]),
                NamedPortContext(name: "firestore", port: 8080, env: ["FIRESTORE_PORT"],
                                 compose: ComposeContext(service: "firestore", target: 8080)),
            ]),
        ])

    @Test("the JSON shown is what the json template renders")
    func jsonExample() throws {
        let shown = try #require(try blocks("json").first)
        let rendered = try renderBuiltin("json", context)
        #expect(try parseJSON(shown) as? NSDictionary == parseJSON(rendered) as? NSDictionary)
    }

    @Test("the example template is valid against the context")
    func templateExample() throws {
        let source = try #require(try blocks("mustache").first)
        let output = try OutputTemplate(source: source, name: "caddy", displayName: "docs").render(context)
        #expect(output.hasPrefix("api.shop.localhost {\n\treverse_proxy localhost:8000\n}\n"))
    }
}
