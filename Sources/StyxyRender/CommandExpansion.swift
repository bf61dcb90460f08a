import StyxyCore

/// Expands the `{{…}}` in a service's manifest `command` (`vite --port {{port}}`,
/// `next dev -p {{WEB_PORT}}`, `firebase emulators:start --port {{ports.ui}}`).
///
/// Names available: `port` (the service's only or first port), `name` (the service's name),
/// `ports.<name>` (each named port; a single-port service has `ports.default`), every variable
/// name of the service, and every name in `variables` (pass the project's, so one service's
/// command can name another's port, e.g. `--api http://localhost:{{API_PORT}}`). The service's
/// own names win over `variables`. An unknown name fails with exit status 65, naming it; the
/// diagnostic points at `location` (the command in the manifest) under `services.<name>.command`.
public func expandCommand(
    _ command: String, service: ServiceContext, variables: [String: Int] = [:], at location: SourceLocation? = nil
) throws(StyxyError) -> String {
    var context = variables.mapValues(TemplateValue.number)
    var ports: [String: TemplateValue] = [:]
    for port in service.ports {
        ports[port.name] = .number(port.port)
        for name in port.env { context[name] = .number(port.port) }
    }
    context["ports"] = .object(ports)
    context["port"] = .number(service.port)
    context["name"] = .text(service.name)

    let keyPath = "services.\(service.name).command"
    let template: CompiledTemplate
    do {
        template = try StrictMustache.compile(
            command, against: Shape.infer(.object(context)), file: keyPath,
            fallbackHint: "a command can use port, name, ports.<name> and variable names such as "
                + (service.env.first ?? "WEB_PORT"))
    } catch {
        throw StyxyError(.invalidInput, error.diagnostics.map { relocated($0, to: location, keyPath: keyPath) })
    }
    return template.render(.object(context))
}

/// What `expandCommand` would refuse in `command`, checked before any port is leased: the
/// service's ports stand in as port 1, and `variables` are the names of every variable of the
/// project. The diagnostics carry no location; their messages say where in the command.
public func commandProblems(
    _ command: String, service: String, ports: [(name: String, env: [String])], variables: [String]
) -> [Diagnostic] {
    // A service whose ports could not be read has nothing to check the names against.
    guard !ports.isEmpty else { return [] }
    let standIn = ServiceContext(name: service, type: "", ports: ports.map { NamedPortContext(name: $0.name, port: 1, env: $0.env) })
    do {
        _ = try expandCommand(command, service: standIn, variables: Dictionary(variables.map { ($0, 1) }, uniquingKeysWith: { a, _ in a }))
        return []
    } catch {
        return error.diagnostics
    }
}

/// A template diagnostic moved from the command's own text to the manifest: the command's line
/// and column are kept in the message, since the manifest location is that of the whole value.
private func relocated(_ diagnostic: Diagnostic, to location: SourceLocation?, keyPath: String) -> Diagnostic {
    var moved = diagnostic
    if let inner = diagnostic.location {
        let place = inner.line == 1 ? "column \(inner.column)" : "line \(inner.line), column \(inner.column)"
        moved.message += " (\(place) of the command)"
    }
    moved.location = location
    moved.file = nil
    moved.keyPath = keyPath
    return moved
}

extension RenderContext {
    /// A copy in which every service's `command` is expanded with `expandCommand`, any service
    /// able to name any variable of the project. Problems of all services are reported together.
    /// `locations` maps service names to where their command is written in the manifest.
    public func expandingCommands(locations: [String: SourceLocation] = [:]) throws(StyxyError) -> RenderContext {
        let all = Dictionary(variables.map { ($0.name, $0.port) }, uniquingKeysWith: { first, _ in first })
        var expanded = self
        var problems: [Diagnostic] = []
        for index in expanded.services.indices {
            let service = expanded.services[index]
            guard let command = service.command else { continue }
            do {
                expanded.services[index].command = try expandCommand(
                    command, service: service, variables: all, at: locations[service.name])
            } catch {
                problems += error.diagnostics
            }
        }
        if !problems.isEmpty { throw StyxyError(.invalidInput, problems) }
        return expanded
    }
}
