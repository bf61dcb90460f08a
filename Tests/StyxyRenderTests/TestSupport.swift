import Foundation
import StyxyCore
import StyxyTestSupport
import Testing

@testable import StyxyRender

#if canImport(Glibc)
import Glibc
#endif

/// The error a call throws, or nil (recording an issue) when it succeeds.
func failure<T>(
    _ body: () throws(StyxyError) -> T, sourceLocation: Testing.SourceLocation = #_sourceLocation
) -> StyxyError? {
    do {
        _ = try body()
        Issue.record("expected a failure", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// A fixed project with one of each kind of service: single- and multi-port, with and without a
/// command, Compose mapping and sharing, and a command that names another service's port.
enum Sample {
    /// The sample as a second instance, whose Compose override names its own project.
    static let instance: RenderContext = {
        var context = Sample.context
        context.project = "Shop"
        context.instance = "agent-1"
        return context
    }()

    static let context: RenderContext = {
        let declared = RenderContext(
            project: "shop", root: "/home/dev/shop", instance: "default", manifest: "styxy.yaml",
            services: [
                ServiceContext(
                    name: "web", type: "dev", port: 3000, env: ["WEB_PORT"],
                    command: "API_URL=http://localhost:{{API_PORT}} vite --port {{port}} --strictPort"),
                ServiceContext(
                    name: "api", type: "api", port: 8000, env: ["API_PORT", "PORT"],
                    command: #"uvicorn app:main --port {{PORT}} --root-path "/api" --name '{{name}}'"#,
                    compose: ComposeContext(service: "api", target: 8000)),
                ServiceContext(
                    name: "emulators", type: "functions",
                    ports: [
                        NamedPortContext(name: "ui", port: 4000, env: ["EMULATORS_UI_PORT"]),
                        NamedPortContext(
                            name: "firestore", port: 8080, env: ["FIRESTORE_PORT"],
                            compose: ComposeContext(service: "firestore", target: 8080)),
                    ],
                    command: "firebase emulators:start --ui-port {{ports.ui}}"),
                ServiceContext(name: "ollama", type: "ai", port: 11434, env: ["OLLAMA_PORT"], shared: true),
            ])
        return try! declared.expandingCommands()
    }()

    static let empty = RenderContext(
        project: "empty", root: "/home/dev/empty", instance: "default", manifest: "styxy.yaml", services: [])
}

/// Renders a built-in template for the sample project.
func renderBuiltin(_ name: String, _ context: RenderContext = Sample.context) throws -> String {
    try TemplateStore.builtin(name).render(context)
}
