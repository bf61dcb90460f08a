import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyRender

/// Turns a manifest and its ports into rendered outputs. Everything is rendered before anything is
/// written, so a broken template or command leaves every file as it was.
struct OutputPlan {
    /// Where an instance's outputs go. The default instance writes the paths the manifest names;
    /// another instance writes under `.styxy/instances/<name>/`, so two instances never write one
    /// file with different ports.
    static func path(of output: Output, instance: String) -> String {
        instance == Lease.defaultInstance ? output.path : ".styxy/instances/\(instance)/\(output.path)"
    }

    static func templates(for manifest: Manifest) throws(StyxyError) -> [(output: Output, template: OutputTemplate)] {
        let folder = FileIO.directory(of: manifest.path)
        var loaded: [(Output, OutputTemplate)] = []
        var problems: [Diagnostic] = []
        for output in manifest.outputs {
            let reference: String
            switch output.template {
            case .builtin(let name): reference = name
            case .file(let written, _): reference = written
            }
            do {
                loaded.append((output, try TemplateStore.load(reference: reference, relativeTo: folder)))
            } catch {
                problems += error.diagnostics
            }
        }
        if !problems.isEmpty { throw StyxyError(.invalidInput, problems) }
        return loaded
    }

    /// The render context: services sorted by name, each port as leased, commands expanded.
    static func context(for manifest: Manifest, instance: String, port: (Service, NamedPort) -> Int) throws(StyxyError) -> RenderContext {
        let services = manifest.services.map { service in
            ServiceContext(
                name: service.name, type: service.type ?? "",
                ports: service.ports.map { named in
                    NamedPortContext(name: named.name, port: port(service, named), env: named.env,
                                     compose: named.compose.map { ComposeContext(service: $0.service, target: $0.target) })
                },
                command: service.command, shared: service.shared)
        }
        let context = RenderContext(project: manifest.project, root: manifest.root, instance: instance,
                                    manifest: FileIO.basename(manifest.path), services: services)
        let locations = Dictionary(manifest.services.map { ($0.name, $0.location) }, uniquingKeysWith: { a, _ in a })
        return try context.expandingCommands(locations: locations)
    }

    static func context(for manifest: Manifest, report: ResolveReport) throws(StyxyError) -> RenderContext {
        var ports: [String: Int] = [:]
        for item in report.assignments { ports["\(item.service)/\(item.portName)"] = item.port }
        return try context(for: manifest, instance: report.instance) { service, named in ports["\(service.name)/\(named.name)"] ?? 0 }
    }

    static func render(_ templates: [(output: Output, template: OutputTemplate)], context: RenderContext) -> [PlannedOutput] {
        let prepared = PreparedContext(context)
        return templates.map { output, template in
            let builtinDotenv = output.template == .builtin("dotenv")
            return PlannedOutput(relativePath: path(of: output, instance: context.instance), content: template.render(prepared),
                                 kind: builtinDotenv ? .dotenvBlock : .file)
        }
    }

    /// Checks templates and commands without leasing: ports stand in as their preference or the
    /// first port of their range. For `validate`.
    static func check(_ manifest: Manifest) throws(StyxyError) {
        let context = try context(for: manifest, instance: Lease.defaultInstance) { service, named in
            named.preferred ?? service.range.lowerBound
        }
        _ = render(try templates(for: manifest), context: context)
    }
}
