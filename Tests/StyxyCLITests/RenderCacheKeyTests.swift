import StyxyRender
import Testing

@testable import StyxyKit

/// The render cache may skip rendering only when nothing rendering reads has changed, so its key
/// must move with every field of the render context.
@Suite("Render cache key")
struct RenderCacheKeyTests {
    static let base = RenderContext(
        project: "shop", root: "/p", instance: "default", manifest: "styxy.yaml",
        services: [
            ServiceContext(name: "db", type: "database", ports: [
                NamedPortContext(name: "default", port: 5432, env: ["DB_PORT"],
                                 compose: ComposeContext(service: "postgres", target: 5432, hostIP: nil, transport: .tcp)),
            ], command: "pg --port {{port}}", shared: false),
        ])

    static func key(_ context: RenderContext, paths: [String] = [".env"], templates: String = "t") -> String {
        RenderCache.key(templates: templates, context: context, paths: paths)
    }

    static func changed(_ change: (inout RenderContext) -> Void) -> RenderContext {
        var context = base
        change(&context)
        return context
    }

    static let variants: [(String, RenderContext)] = [
        ("project", changed { $0.project = "other" }),
        ("root", changed { $0.root = "/q" }),
        ("instance", changed { $0.instance = "ci-1" }),
        ("manifest", changed { $0.manifest = "other.yaml" }),
        ("service name", changed { $0.services[0].name = "pg" }),
        ("service type", changed { $0.services[0].type = "infrastructure" }),
        ("command", changed { $0.services[0].command = "pg" }),
        ("no command", changed { $0.services[0].command = nil }),
        ("shared", changed { $0.services[0].shared = true }),
        ("port name", changed { $0.services[0].ports[0].name = "main" }),
        ("port", changed { $0.services[0].ports[0].port = 5433 }),
        ("variables", changed { $0.services[0].ports[0].env = ["PGPORT"] }),
        ("compose service", changed { $0.services[0].ports[0].compose?.service = "db" }),
        ("compose target", changed { $0.services[0].ports[0].compose?.target = 5433 }),
        ("compose host address", changed { $0.services[0].ports[0].compose?.hostIP = "127.0.0.1" }),
        ("compose protocol", changed { $0.services[0].ports[0].compose?.transport = .udp }),
        ("no compose", changed { $0.services[0].ports[0].compose = nil }),
    ]

    @Test(arguments: variants.map(\.0))
    func everyFieldMovesTheKey(_ field: String) throws {
        let context = try #require(Self.variants.first { $0.0 == field }?.1)
        #expect(Self.key(context) != Self.key(Self.base), "changing the \(field) must miss the cache")
    }

    @Test func pathsAndTemplatesMoveTheKeyAndTheSameInputsKeepIt() {
        #expect(Self.key(Self.base) == Self.key(Self.base))
        #expect(Self.key(Self.base, paths: [".env.local"]) != Self.key(Self.base))
        #expect(Self.key(Self.base, templates: "u") != Self.key(Self.base))
    }
}
