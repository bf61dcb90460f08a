import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyRender

/// `run`: what to start, where, and with which variables, decided after a resolve.
package struct RunPlan: Sendable {
    package var report: ResolveReport
    /// Ports someone other than this project holds: the command must not start.
    package var blocked: [Assignment]
    /// Ports this project's own processes already hold: allowed (a test run beside its dev
    /// server), but worth a note, since a second server there would die on "Address already in use".
    package var busyWithThisProject: [Assignment]
    /// Set on top of the inherited environment; Styxy's values win.
    package var variables: [(name: String, value: String)]
    /// The command line to start, placeholders expanded.
    package var arguments: [String]
    /// The folder to start it in; nil keeps the caller's.
    package var directory: String?
}

extension StyxyApp {
    /// `run -- CMD`: `{{NAME}}` in CMD's arguments becomes the variable NAME. Names are checked
    /// before anything is leased, so a typo changes nothing.
    package func prepareRun(_ request: LeaseRequest, command: [String]) throws(StyxyError) -> RunPlan {
        let workspace = try workspace()
        let manifest = try workspace.loadManifest(locateManifest(request.manifest))
        _ = try Placeholders.expand(command, variables: Self.standInVariables(manifest), servicePort: nil)
        let outcome = try ResolvePipeline(workspace).run(manifest, options: ResolveOptions(instance: request.instance, ttl: request.ttl),
                                                         mode: .write)
        let ports = ResolvedPorts(report: outcome.report)
        let arguments = try Placeholders.expand(command, variables: ports.variableTable, servicePort: nil)
        return plan(outcome.report, arguments: arguments, directory: nil)
    }

    /// `run SERVICE [-- EXTRA]`: the service's declared `command:` through `/bin/sh -c`, as npm and
    /// Procfile runners do, in the service's `cwd:`. EXTRA is appended, each argument quoted for
    /// the shell, after its placeholders are expanded (`{{port}}` is the service's port).
    package func prepareRun(_ request: LeaseRequest, service name: String, extra: [String]) throws(StyxyError) -> RunPlan {
        let workspace = try workspace()
        let manifest = try workspace.loadManifest(locateManifest(request.manifest))
        let service = try Self.service(named: name, in: manifest, needingCommand: true)
        _ = try Placeholders.expand(extra, variables: Self.standInVariables(manifest), servicePort: 0)
        let outcome = try ResolvePipeline(workspace).run(manifest, options: ResolveOptions(instance: request.instance, ttl: request.ttl),
                                                         mode: .write)
        let commands = try ServiceCommands(manifest: manifest, report: outcome.report)
        let ports = ResolvedPorts(report: outcome.report)
        let expandedExtra = try Placeholders.expand(extra, variables: ports.variableTable, servicePort: commands.port(of: service.name))
        let line = ([commands.command(of: service.name) ?? ""] + expandedExtra.map(Quoting.shell)).joined(separator: " ")
        return plan(outcome.report, arguments: ["/bin/sh", "-c", line], directory: try commands.folder(of: service))
    }

    private func plan(_ report: ResolveReport, arguments: [String], directory: String?) -> RunPlan {
        let ports = ResolvedPorts(report: report)
        let busy = report.assignments.filter { item in
            guard !item.shared, let occupant = item.occupant else { return false }
            return occupant.holderClass == .thisProject
        }
        return RunPlan(report: report, blocked: ports.foreignHeld, busyWithThisProject: busy, variables: ports.variables,
                       arguments: arguments, directory: directory)
    }

    /// The manifest's service `name`, or a usage error with "did you mean" (exit 64).
    static func service(named name: String, in manifest: Manifest, needingCommand: Bool) throws(StyxyError) -> Service {
        guard let service = manifest.service(named: name) else {
            let names = manifest.services.map(\.name)
            throw StyxyError(.usage, "no service named '\(name)' in \(manifest.path)",
                             hint: Suggestion.didYouMean(name, among: names) ?? "its services: \(names.joined(separator: ", "))")
        }
        if needingCommand && service.command == nil {
            throw StyxyError(.usage, "service '\(name)' has no command: to run", file: manifest.path,
                             hint: "declare `command:` under services.\(name), or run a command with `styxy run -- CMD`")
        }
        return service
    }

    /// Every name a placeholder may use, with stand-in values: for checking names before leasing.
    static func standInVariables(_ manifest: Manifest) -> [String: String] {
        var names: [String: String] = [:]
        for name in ResolvedPorts.identityNames { names[name] = "" }
        for service in manifest.services { for port in service.ports { for name in port.env { names[name] = "0" } } }
        return names
    }
}

extension ResolvedPorts {
    /// The variables by name, for placeholders.
    var variableTable: [String: String] {
        Dictionary(variables.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }
}

/// The services' commands with their `{{...}}` expanded against the leased ports, and the folders
/// they start in: what `run SERVICE` and `up` start.
struct ServiceCommands {
    let manifest: Manifest
    let context: RenderContext

    init(manifest: Manifest, report: ResolveReport) throws(StyxyError) {
        self.manifest = manifest
        context = try OutputPlan.expandingCommands(OutputPlan.context(for: manifest, report: report), of: manifest)
    }

    func command(of service: String) -> String? {
        context.services.first { $0.name == service }?.command
    }

    func port(of service: String) -> Int? {
        context.services.first { $0.name == service }?.port
    }

    /// The service's `cwd:`, walked again inside the project just before starting: the manifest
    /// was checked when read, but a folder swapped for a link since then must not move the
    /// command out of the project.
    func folder(of service: Service) throws(StyxyError) -> String {
        guard let cwd = service.cwd, cwd != "." else { return manifest.root }
        do {
            let inside = try ConfinedFolder(path: manifest.root).locateFolder(cwd)
            return inside == "." ? manifest.root : FileIO.join(manifest.root, inside)
        } catch {
            throw StyxyError(.invalidInput, "cannot start \(service.name) in '\(cwd)': \(error.reason)", file: manifest.path,
                             hint: "cwd must be a folder inside the project")
        }
    }
}
