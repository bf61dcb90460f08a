import StyxyCore

/// One service a project file suggests, as found: its name is raw, its variables and preferred
/// ports may clash with another file's. `ScaffoldPlanner` makes them fit together.
struct ServiceEvidence {
    /// Where it was found, for the comment above the service: `package.json script "dev"`.
    var origin: String
    var name: String
    var type: String
    /// UDP for a Compose service that publishes only UDP ports.
    var transport: Transport = .tcp
    var ports: [PortEvidence]
    /// Already templated: `{{port}}` or `{{ports.NAME}}` where the port was written.
    var command: String?
    /// Remarks on this service, written as comments above it.
    var comments: [String] = []
    /// The file it was found in.
    var file = ""
    /// Services it starts after (Compose's `depends_on`), by file and raw name.
    var after: [ServiceRef] = []
    /// What starts it (the program and its arguments, from `ScriptScan`); nil for Compose services.
    var identity: [String]? = nil
    /// Services of other files this one stands for (a Compose service joined to a script's), so
    /// an `after` naming them finds this one.
    var aliases: [ServiceRef] = []
}

/// A service as a project file names it: the file, and the raw name in it.
struct ServiceRef: Hashable {
    var file: String
    var name: String
}

struct PortEvidence {
    /// The port's name when the service has several; nil for a service's only port.
    var name: String?
    var preferred: Int?
    /// Variables the project already reads this port from (`PORT`, `API_PORT`).
    var variables: [String] = []
    /// Replaces the port's name in its default variable (`5672` → `RABBITMQ_5672_PORT`).
    var envStem: String? = nil
    var compose: ComposeTarget? = nil
}

/// What a project file gave: services, a project name, and what it held that is not a service.
struct EvidenceReading {
    var services: [ServiceEvidence] = []
    var project: String? = nil
    /// Things left out, for the header and the command's notes: `Procfile process "worker" opens no port`.
    var skipped: [String] = []
}

struct PlannedService {
    var origin: String
    var name: String
    var type: String
    var transport: Transport
    var ports: [PlannedPort]
    var command: String?
    var comments: [String]
    /// Planned names, none leading back to this service.
    var after: [String] = []
}

struct PlannedPort {
    var name: String?
    var preferred: Int?
    var env: [String]
    var compose: ComposeTarget?
}

/// Makes evidence from several files one valid set of services: unique service names (`api-2`),
/// unique variables, and each preferred port kept by the first service that wants it. Evidence
/// is taken in order, so the first file (and the first entry in it) wins every tie.
struct ScaffoldPlanner {
    let catalog: Catalog
    /// What was changed, one line each, for the command's notes.
    private(set) var notes: [String] = []
    private var names: Set<String> = []
    private var variableOwners: [String: String] = [:]
    private var portOwners: [Int: String] = [:]

    init(catalog: Catalog) {
        self.catalog = catalog
    }

    mutating func plan(_ evidence: [ServiceEvidence]) -> [PlannedService] {
        var planned = evidence.map { plan($0) }
        // Names in `after` are a file's own; the services may have been renamed since.
        var renamed: [ServiceRef: String] = [:]
        for (found, service) in zip(evidence, planned) {
            for ref in [ServiceRef(file: found.file, name: found.name)] + found.aliases where renamed[ref] == nil {
                renamed[ref] = service.name
            }
        }
        for (index, found) in evidence.enumerated() {
            for raw in found.after {
                let name = planned[index].name
                var remark: String? = nil
                if let target = renamed[raw] {
                    if target == name || planned[index].after.contains(target) { continue }
                    // Compose refuses circles too, but a proposal must load whatever the file says.
                    if Self.waits(target, for: name, in: planned) {
                        remark = "after: leaves out \(target), which already waits for this service"
                    } else {
                        planned[index].after.append(target)
                    }
                } else {
                    remark = "after: leaves out \(ScaffoldText.quoted(raw.name)) (Compose depends_on), which is not a service here"
                }
                if let remark {
                    planned[index].comments.append(remark)
                    notes.append("service \(name): \(remark)")
                }
            }
        }
        return planned
    }

    /// Whether `service` waits for `other`, however indirectly, through the `after` planned so far.
    private static func waits(_ service: String, for other: String, in planned: [PlannedService]) -> Bool {
        var pending = [service]
        var seen: Set<String> = []
        while let next = pending.popLast() {
            if next == other { return true }
            guard seen.insert(next).inserted, let found = planned.first(where: { $0.name == next }) else { continue }
            pending += found.after
        }
        return false
    }

    private mutating func plan(_ found: ServiceEvidence) -> PlannedService {
        let wanted = ScaffoldNames.serviceName(found.name)
        let name = uniqueName(wanted)
        var comments = found.comments
        if name != wanted { comments.append("named \(name) because service \(wanted) already exists") }
        names.insert(name)
        let stem = ScaffoldNames.envStem(name)
        var ports: [PlannedPort] = []
        for port in found.ports {
            let label = port.name.map { "\(name).\($0)" } ?? name
            var env = [uniqueVariable(port.name.map { "\(stem)_\(port.envStem ?? ScaffoldNames.envStem($0))" } ?? stem)]
            for variable in port.variables where !env.contains(variable) {
                if let reason = PortVariableName.check(variable).reason {
                    comments.append("\(variable) is left out: \(reason)")
                } else if let owner = variableOwners[variable] {
                    comments.append("\(variable) is left out: service \(owner) already sets it")
                } else {
                    env.append(variable)
                }
            }
            for variable in env { variableOwners[variable] = label }
            ports.append(PlannedPort(name: port.name, preferred: preference(port.preferred, for: label, type: found.type, comments: &comments),
                                     env: env, compose: port.compose))
        }
        for comment in comments { notes.append("service \(name): \(comment)") }
        return PlannedService(origin: found.origin, name: name, type: found.type, transport: found.transport, ports: ports, command: found.command, comments: comments)
    }

    /// The preference to keep, or nil with a comment saying why it was dropped.
    private mutating func preference(_ port: Int?, for label: String, type: String, comments: inout [String]) -> Int? {
        guard let port else { return nil }
        if port < 1024 {
            comments.append("port \(port) needs root, so no preferred port: Styxy leases one from the \(type) range")
            return nil
        }
        if catalog.isReserved(port) {
            comments.append("port \(port) is reserved in the configuration, so no preferred port")
            return nil
        }
        if let owner = portOwners[port] {
            comments.append("port \(port) is also wanted by \(owner), which keeps it; this one gets another")
            return nil
        }
        portOwners[port] = label
        return port
    }

    /// Names are at most 59 characters, so `-2` … `-9999` stay within the manifest's 63.
    private func uniqueName(_ base: String) -> String {
        ScaffoldNames.firstFree(base, separator: "-") { names.contains($0) }
    }

    /// `WEB` → `WEB_PORT`, or `WEB_2_PORT` when that is taken (also by a variable a file names);
    /// `GIT` → `SERVICE_GIT_PORT`, as the manifest refuses `GIT_PORT`.
    private func uniqueVariable(_ stem: String) -> String {
        let stem = PortVariableName.check("\(stem)_PORT").isAllowed ? stem : "SERVICE_\(stem)"
        return ScaffoldNames.firstFree(stem, separator: "_") { variableOwners["\($0)_PORT"] != nil } + "_PORT"
    }
}

/// Names as the manifest accepts them.
enum ScaffoldNames {
    /// `docs:dev` → `docs-dev`, `Web.App` → `web-app`, `3d` → `svc-3d`; at most 63 characters.
    static func serviceName(_ raw: String) -> String {
        sanitized(raw, separator: "-", fallback: "service", prefix: "svc-")
    }

    /// Named ports use `_` so they read well in `{{ports.NAME}}`.
    static func portName(_ raw: String) -> String {
        let name = sanitized(raw, separator: "_", fallback: "main", prefix: "p_")
        return name == NamedPort.defaultName ? "main" : name
    }

    static func envStem(_ name: String) -> String { Manifest.envStem(name) }

    /// `base`, or else `base<separator>2`, `base<separator>3`, …: the first that is not `taken`.
    static func firstFree(_ base: String, separator: String, taken: (String) -> Bool) -> String {
        var candidate = base
        var counter = 2
        while taken(candidate) {
            candidate = "\(base)\(separator)\(counter)"
            counter += 1
        }
        return candidate
    }

    private static func sanitized(_ raw: String, separator: Character, fallback: String, prefix: String) -> String {
        var result = ""
        for scalar in raw.lowercased().unicodeScalars {
            let keep = ASCII.isLower(scalar) || ASCII.isDigit(scalar) || scalar == "_" || (scalar == "-" && separator == "-")
            let character = keep ? Character(scalar) : separator
            if character == separator, result.last == separator { continue }
            result.append(character)
        }
        while let last = result.last, last == "-" || last == "_" { result.removeLast() }
        while let first = result.first, first == "-" || first == "_" { result.removeFirst() }
        if result.isEmpty { return fallback }
        if let first = result.unicodeScalars.first, !ASCII.isLower(first) { result = prefix + result }
        if result.utf8.count > 59 { result = String(result.prefix(59)) }
        while let last = result.last, last == "-" || last == "_" { result.removeLast() }
        return result
    }
}
