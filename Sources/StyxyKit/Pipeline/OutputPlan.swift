import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyRender

/// Turns a manifest and its ports into rendered outputs. Everything is rendered before anything is
/// written, so a broken template or command leaves every file as it was.
package enum OutputPlan {
    /// Where an instance's outputs go. The default instance writes the paths the manifest names;
    /// another instance writes under `.styxy/instances/<name>/`, so two instances never write one
    /// file with different ports.
    package static func path(of output: Output, instance: String) -> String {
        instance == Lease.defaultInstance ? output.path : ".styxy/instances/\(instance)/\(output.path)"
    }

    /// A template's text, read but not compiled.
    package struct Source: Sendable {
        var output: Output
        var reference: String
        var displayName: String
        var text: String
        var isBuiltin: Bool
    }

    /// Where a manifest may name template files: its project, the user's configuration folder,
    /// and the folders the configuration allows (DESIGN §9).
    package static func templateFolders(for manifest: Manifest, catalog: Catalog, environment: [String: String]) -> [String] {
        let configuration = UserConfiguration.path(environment: environment).map { FileIO.directory(of: FileIO.absolute($0.path)) }
        return [manifest.root] + (configuration.map { [$0] } ?? []) + catalog.templateFolders
    }

    package static func sources(for manifest: Manifest, allowedFolders: [String]? = nil,
                                workingDirectory: String? = nil) throws(StyxyError) -> [Source] {
        let folder = FileIO.directory(of: manifest.path)
        var found: [Source] = []
        var problems: [Diagnostic] = []
        for output in manifest.outputs {
            let reference: String
            switch output.template {
            case .builtin(let name): reference = name
            case .file(let written, _): reference = written
            }
            do {
                let source = try TemplateStore.source(reference: reference, relativeTo: folder,
                                                     allowedFolders: allowedFolders ?? [manifest.root],
                                                     workingDirectory: workingDirectory)
                found.append(Source(output: output, reference: reference, displayName: source.displayName,
                                    text: source.source, isBuiltin: source.isBuiltin))
            } catch {
                problems += error.diagnostics
            }
        }
        if !problems.isEmpty { throw StyxyError(.invalidInput, problems) }
        return found
    }

    /// Compiles and checks every template, reporting the problems of all of them together.
    package static func compile(_ sources: [Source]) throws(StyxyError) -> [(output: Output, template: OutputTemplate)] {
        var compiled: [(Output, OutputTemplate)] = []
        var problems: [Diagnostic] = []
        for source in sources {
            do {
                compiled.append((source.output, try OutputTemplate(source: source.text, name: source.reference,
                                                                  displayName: source.displayName, isBuiltin: source.isBuiltin)))
            } catch {
                problems += error.diagnostics
            }
        }
        if !problems.isEmpty { throw StyxyError(.invalidInput, problems) }
        return compiled
    }

    /// The render context: services sorted by name, each port as leased, commands as written.
    package static func context(for manifest: Manifest, instance: String, port: (Service, NamedPort) -> Int) -> RenderContext {
        let services = manifest.services.map { service in
            ServiceContext(
                name: service.name, type: service.type ?? "",
                ports: service.ports.map { named in
                    NamedPortContext(name: named.name, port: port(service, named), env: named.env,
                                     compose: named.compose.map {
                                         ComposeContext(service: $0.service, target: $0.target, hostIP: $0.hostIP,
                                                        transport: service.transport)
                                     })
                },
                command: service.command, shared: service.shared, cwd: service.cwd == "." ? nil : service.cwd,
                after: service.after.map(\.name), readyTimeout: service.readyTimeout)
        }
        return RenderContext(project: manifest.project, root: manifest.root, instance: instance,
                             manifest: FileIO.basename(manifest.path), services: services)
    }

    /// Commands are Mustache templates themselves; expanding them is part of rendering, so a
    /// cached render skips it.
    package static func expandingCommands(_ context: RenderContext, of manifest: Manifest) throws(StyxyError) -> RenderContext {
        let locations = Dictionary(manifest.services.map { ($0.name, $0.commandLocation ?? $0.location) }, uniquingKeysWith: { a, _ in a })
        return try context.expandingCommands(locations: locations)
    }

    package static func context(for manifest: Manifest, report: ResolveReport) -> RenderContext {
        context(for: manifest, instance: report.instance) { service, named in report.port(of: service, named) }
    }

    package static func render(_ templates: [(output: Output, template: OutputTemplate)], context: RenderContext) throws(StyxyError) -> [PlannedOutput] {
        let prepared = PreparedContext(context)
        var planned: [PlannedOutput] = []
        for (output, template) in templates {
            let builtinDotenv = output.template == .builtin("dotenv")
            planned.append(PlannedOutput(relativePath: path(of: output, instance: context.instance), content: try template.render(prepared),
                                         kind: builtinDotenv ? .dotenvBlock : .file))
        }
        return planned
    }

    /// Checks, before anything is leased, that no template's output could pass the render limits:
    /// every port stands in as 65535, the widest a port prints, so the bound only grows with it.
    package static func checkLimits(_ templates: [(output: Output, template: OutputTemplate)], manifest: Manifest,
                            instance: String) throws(StyxyError) {
        let prepared = PreparedContext(try expandingCommands(context(for: manifest, instance: instance) { _, _ in 65535 }, of: manifest))
        var problems: [Diagnostic] = []
        for (_, template) in templates {
            do { try template.checkLimits(prepared) } catch { problems += error.diagnostics }
        }
        if !problems.isEmpty { throw StyxyError(.invalidInput, problems) }
    }

    /// Renders every output with ports chosen by `port` instead of leased ones, writing nothing:
    /// `validate` checks a manifest this way, and the example goldens are made this way.
    package static func renderStandIns(_ manifest: Manifest, allowedFolders: [String], workingDirectory: String? = nil,
                                       port: (Service, NamedPort) -> Int) throws(StyxyError) -> [PlannedOutput] {
        let context = context(for: manifest, instance: Lease.defaultInstance, port: port)
        let sources = try sources(for: manifest, allowedFolders: allowedFolders, workingDirectory: workingDirectory)
        return try render(try compile(sources), context: try expandingCommands(context, of: manifest))
    }
}
