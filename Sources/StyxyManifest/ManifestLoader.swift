#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StyxyCore

/// Reads and validates `styxy.yaml` in stages: read the file, parse YAML, build the model while
/// collecting every problem, then cross-check services. All problems are reported together.
public struct ManifestLoader: Sendable {
    public static let defaultFileName = "styxy.yaml"
    static let maximumSize = 1 << 20

    public var catalog: Catalog
    /// The names of the templates compiled into the binary.
    public var builtinTemplates: Set<String>
    /// Checks each service's `command:` template while the manifest loads, so its mistakes are
    /// reported with every other problem of the file; nil skips the check (the template engine
    /// lives in StyxyRender, which this module does not depend on).
    public var commandCheck: CommandCheck?

    public init(catalog: Catalog, builtinTemplates: Set<String>, commandCheck: CommandCheck? = nil) {
        self.catalog = catalog
        self.builtinTemplates = builtinTemplates
        self.commandCheck = commandCheck
    }

    /// Reads the manifest at `path`, written as the user gave it (messages show it that way); a
    /// relative path starts at `directory`, or at the process's current folder when it is nil.
    public func load(path: String, relativeTo directory: String? = nil) throws(StyxyError) -> Manifest {
        let file = path.hasPrefix("/") ? path : (directory.map { FileIO.join($0, path) } ?? FileIO.absolute(path))
        let bytes: [UInt8]?
        do {
            bytes = try FileIO.read(file, limit: Self.maximumSize)
        } catch {
            if error.code == EFBIG { throw StyxyError(.invalidInput, "the manifest is larger than 1 MiB", file: path) }
            throw StyxyError(.invalidInput, "cannot read the manifest: \(error.reason)", file: path)
        }
        guard let bytes else {
            throw StyxyError(.invalidInput, "no manifest here", file: path,
                             hint: "run `styxy init` to create one, or name another with -m FILE")
        }
        guard let root = FileIO.realPath(FileIO.directory(of: file)) else {
            throw StyxyError(.invalidInput, "cannot resolve the manifest's folder", file: path)
        }
        var manifest = try parse(bytes, path: path, root: root)
        manifest.file = file
        return manifest
    }

    /// Validates manifest text whose project root is `root` (already canonical).
    public func parse(_ bytes: [UInt8], path: String, root: String) throws(StyxyError) -> Manifest {
        guard let document = try YAMLParser(file: path).parse(bytes), !document.isNull else {
            throw StyxyError(.invalidInput, "the manifest is empty", at: SourceLocation(file: path, line: 1, column: 1),
                             hint: "declare at least `services:`; `styxy init` writes a starting point")
        }
        var builder = ManifestBuilder(path: path, root: root, catalog: catalog, builtinTemplates: builtinTemplates)
        builder.commandCheck = commandCheck
        let manifest = builder.build(document)
        let problems = builder.reader.bag
        if !problems.isEmpty { throw StyxyError(.invalidInput, problems.sorted) }
        // `build` gives nil only after recording why, so this is a guard against a path that forgets.
        guard var manifest else {
            throw StyxyError(.invalidInput, "the manifest could not be read", at: SourceLocation(file: path, line: 1, column: 1))
        }
        manifest.warnings = problems.warnings
        return manifest
    }
}

struct ManifestBuilder {
    let path: String
    let root: String
    let catalog: Catalog
    let builtinTemplates: Set<String>
    var reader = SchemaReader()
    /// Every port read, from valid and invalid services alike, so cross-service rules see them all.
    var declared: [(service: String, named: Bool, transport: Transport, port: NamedPort)] = []
    /// Every service's name as written, in document order, and the `after:` lists read.
    var declaredNames: [String] = []
    var afterLists: [AfterList] = []
    var commandCheck: CommandCheck?
    /// Every `command:` read, from valid and invalid services alike, checked once all names are known.
    var commands: [(text: String, node: YAMLNode, names: CommandNames)] = []

    init(path: String, root: String, catalog: Catalog, builtinTemplates: Set<String>) {
        self.path = path
        self.root = root
        self.catalog = catalog
        self.builtinTemplates = builtinTemplates
    }

    mutating func build(_ document: YAMLNode) -> Manifest? {
        guard let top = reader.mapping(document, path: "", allowed: ManifestKeys.topNames) else { return nil }
        var project = FileIO.basename(root)
        if let node = top["project"], let name = reader.string(node, path: "project", what: "a project name") {
            if name.isEmpty || name.count > 100 || name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
                reader.bag.error("a project name is 1 to 100 printable characters, found \(node.describedKind)", at: node, path: "project")
            } else {
                project = name
            }
        }
        var services: [Service] = []
        if let node = top["services"] {
            services = readServices(node)
        } else {
            reader.bag.error("the manifest declares no services", at: document, path: "services",
                             hint: "add a `services:` mapping, for example `services: { web: { type: dev } }`")
        }
        var outputs: [Output] = []
        if let node = top["outputs"] { outputs = readOutputs(node) }
        checkAcrossServices()
        checkStartOrder()
        checkCommands()
        return Manifest(path: path, file: path.hasPrefix("/") ? path : FileIO.join(root, FileIO.basename(path)), root: root, project: project, services: services.sorted { $0.name < $1.name }, outputs: outputs)
    }

    // MARK: Services

    mutating func readServices(_ node: YAMLNode) -> [Service] {
        guard let entries = reader.entries(node, path: "services") else { return [] }
        if entries.isEmpty {
            reader.bag.error("expected at least one service, found an empty mapping", at: node, path: "services")
        }
        declaredNames = entries.map { $0.key.scalarText ?? "" }
        return entries.compactMap { readService(key: $0.key, $0.value) }
    }

    static let maximumCommandLength = 4096
    static let variableNamesHint = "choose a name of your own that contains PORT; docs/manifest.md#variable-names lists the names Styxy refuses"

    mutating func readService(key: YAMLNode, _ node: YAMLNode) -> Service? {
        let name = key.scalarText ?? ""
        let path = "services.\(name)"
        if !Manifest.isValidName(name) {
            let lowered = String(name.lowercased().map { $0 == " " ? "-" : $0 })
            reader.bag.error("invalid service name '\(YAMLNode.printable(name))'", at: key, path: path,
                             hint: Manifest.isValidName(lowered) ? "did you mean '\(lowered)'?" :
                                "use lowercase letters, digits, '-' and '_', starting with a letter, at most 63")
        }
        guard let fields = reader.mapping(node, path: path, allowed: ManifestKeys.serviceNames) else { return nil }
        let errorsBefore = reader.bag.items.count

        var type: ServiceType? = nil
        if let typeNode = fields["type"], let typeName = reader.string(typeNode, path: "\(path).type", what: "a service type") {
            type = catalog.types[typeName]
            if type == nil {
                let names = catalog.sortedTypes.map(\.name)
                reader.bag.error("unknown service type '\(typeName)'", at: typeNode, path: "\(path).type",
                                 hint: suggestion(for: typeName, among: names) ?? "`styxy types` lists them")
            }
        }
        var allowPrivileged = false
        if let flag = fields["allow_privileged"] { allowPrivileged = reader.boolean(flag, path: "\(path).allow_privileged") ?? false }
        var range = type?.range
        if let rangeNode = fields["range"] {
            range = readRange(rangeNode, path: "\(path).range", reader: &reader, allowPrivileged: allowPrivileged)
        } else if fields["type"] == nil {
            reader.bag.error("the service has neither a type nor a range", at: key, path: path,
                             hint: "add `type:` (see `styxy types`) or `range: [A, B]`")
        }
        var shared = false
        if let flag = fields["shared"] { shared = reader.boolean(flag, path: "\(path).shared") ?? false }
        var transport = Transport.tcp
        if let protocolNode = fields["protocol"], let text = reader.string(protocolNode, path: "\(path).protocol") {
            if let kind = Transport(rawValue: text) {
                transport = kind
            } else {
                reader.bag.error("expected tcp or udp, found \(protocolNode.describedKind)", at: protocolNode, path: "\(path).protocol",
                                 hint: Transport(rawValue: text.lowercased()) != nil ? "write it in lowercase: \(text.lowercased())" : nil)
            }
        }
        var command: String? = nil
        if let commandNode = fields["command"] {
            command = reader.string(commandNode, path: "\(path).command", what: "a command line")
            // A command is a Mustache template; the library parses in time quadratic in its tags.
            if let text = command, text.utf8.count > Self.maximumCommandLength {
                reader.bag.error("the command is longer than \(Self.maximumCommandLength) bytes", at: commandNode, path: "\(path).command",
                                 hint: "put a long command in a script and name the script here")
                command = nil
            }
        }
        let start = readStartKeys(fields, service: name, path: path)

        var ports: [NamedPort] = []
        if let portsNode = fields["ports"] {
            for conflicting in ["port", "env", "compose"] {
                guard let misplaced = fields[conflicting] else { continue }
                reader.bag.error("'\(conflicting)' cannot stand beside 'ports'", at: misplaced, path: "\(path).\(conflicting)",
                                 hint: "move it into one of the named ports")
            }
            ports = readNamedPorts(portsNode, service: name, path: "\(path).ports", allowPrivileged: allowPrivileged)
        } else {
            let port = readPortFields(fields, name: NamedPort.defaultName, defaultEnv: "\(Manifest.envStem(name))_PORT",
                                      at: key.location, path: path, allowPrivileged: allowPrivileged)
            ports = [port]
        }
        declared.append(contentsOf: ports.map { (service: name, named: fields["ports"] != nil, transport: transport, port: $0) })
        if let command, let commandNode = fields["command"] {
            commands.append((command, commandNode, CommandNames(service: name, ports: ports.map { ($0.name, $0.env) })))
        }
        guard reader.bag.items.count == errorsBefore, let range else { return nil }
        return Service(name: name, type: type?.name, range: range, explicitRange: fields["range"] != nil, typePreferred: type?.preferred.filter(range.contains) ?? [],
                       ports: ports, command: command, cwd: start.cwd, after: start.after, readyTimeout: start.readyTimeout,
                       shared: shared, transport: transport,
                       allowPrivileged: allowPrivileged, location: key.location, commandLocation: fields["command"]?.location)
    }

    mutating func readNamedPorts(_ node: YAMLNode, service: String, path: String, allowPrivileged: Bool) -> [NamedPort] {
        guard let entries = reader.entries(node, path: path) else { return [] }
        if entries.isEmpty { reader.bag.error("expected at least one named port, found an empty mapping", at: node, path: path) }
        var ports: [NamedPort] = []
        for (key, value) in entries {
            let name = key.scalarText ?? ""
            let portPath = "\(path).\(name)"
            if !Manifest.isValidName(name) || name == NamedPort.defaultName {
                let message = name == NamedPort.defaultName ? "'default' is reserved for single-port services; name the port otherwise"
                    : "invalid port name '\(YAMLNode.printable(name))'"
                reader.bag.error(message, at: key, path: portPath,
                                 hint: name == NamedPort.defaultName ? nil : "use lowercase letters, digits, '-' and '_', starting with a letter")
                continue
            }
            let fields: [String: YAMLNode]
            if value.isNull {
                fields = [:]
            } else {
                guard let read = reader.mapping(value, path: portPath, allowed: ManifestKeys.namedPortNames) else { continue }
                fields = read
            }
            let stem = "\(Manifest.envStem(service))_\(Manifest.envStem(name))_PORT"
            ports.append(readPortFields(fields, name: name, defaultEnv: stem, at: key.location, path: portPath, allowPrivileged: allowPrivileged))
        }
        return ports.sorted { $0.name < $1.name }
    }

    /// `port`, `env` and `compose`, shared by single-port services and named ports.
    mutating func readPortFields(
        _ fields: [String: YAMLNode], name: String, defaultEnv: String, at location: SourceLocation, path: String, allowPrivileged: Bool
    ) -> NamedPort {
        var preferred: Int? = nil
        if let node = fields["port"], let port = reader.port(node, path: "\(path).port") {
            if port < 1024 && !allowPrivileged {
                reader.bag.error("port \(port) is below 1024, where ports need root", at: node, path: "\(path).port",
                                 hint: "prefer a port from 1024 up, or set allow_privileged: true")
            }
            preferred = port
        }
        var env = [defaultEnv]
        if let node = fields["env"], let names = reader.strings(node, path: "\(path).env", what: "a variable name") {
            env = []
            var listed = Set<String>()
            for (index, (variable, item)) in names.enumerated() {
                let itemPath = SchemaReader.itemPath("\(path).env", index, of: node)
                if !Manifest.isValidEnvName(variable) {
                    let fixed = Manifest.envStem(variable)
                    reader.bag.error("invalid variable name '\(variable)'", at: item, path: itemPath,
                                     hint: Manifest.isValidEnvName(fixed) ? "did you mean '\(fixed)'?" : "use [A-Z_][A-Z0-9_]*")
                } else if let reason = PortVariableName.check(variable).reason {
                    reader.bag.error("variable '\(variable)' is refused: \(reason)", at: item, path: itemPath,
                                     hint: PortVariableName.suggestion(for: variable).map { "did you mean '\($0)'?" } ?? Self.variableNamesHint)
                } else if !listed.insert(variable).inserted {
                    reader.bag.error("variable '\(variable)' is listed twice", at: item, path: itemPath)
                }
                env.append(variable)
            }
        } else if fields["env"] == nil, let reason = PortVariableName.check(defaultEnv).reason {
            // Only the denylist can refuse a default name: it always ends in _PORT.
            reader.bag.error("the default variable '\(defaultEnv)' is refused: \(reason)", at: location, path: path,
                             hint: PortVariableName.suggestion(for: defaultEnv).map { "name the variable with env:, for example env: \($0)" }
                                ?? Self.variableNamesHint)
        }
        var compose: ComposeTarget? = nil
        if let node = fields["compose"], let map = reader.mapping(node, path: "\(path).compose", allowed: ManifestKeys.composeNames) {
            let service = map["service"].flatMap { reader.string($0, path: "\(path).compose.service", what: "a Compose service name") }
            let target = map["target"].flatMap { reader.port($0, path: "\(path).compose.target") }
            var hostIP: String? = nil
            if let ipNode = map["host_ip"], let text = reader.string(ipNode, path: "\(path).compose.host_ip", what: "an IP address") {
                if Manifest.isIPAddress(text) {
                    hostIP = text
                } else {
                    let unbracketed = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : nil
                    reader.bag.error("expected an IPv4 or IPv6 address, found '\(text)'", at: ipNode, path: "\(path).compose.host_ip",
                                     hint: unbracketed.flatMap { Manifest.isIPAddress($0) ? "write it without brackets: \($0)" : nil }
                                        ?? "for example 127.0.0.1 or ::1")
                }
            }
            if let service, let serviceNode = map["service"], !Manifest.isValidComposeName(service) {
                reader.bag.error("invalid Compose service name '\(service)'", at: serviceNode, path: "\(path).compose.service",
                                 hint: "Compose names use letters, digits, '.', '_' and '-'")
            }
            if map["service"] == nil { reader.bag.error("missing 'service'", at: node, path: "\(path).compose") }
            if map["target"] == nil {
                reader.bag.error("missing 'target' (the container port)", at: node, path: "\(path).compose")
            }
            if let service, let target { compose = ComposeTarget(service: service, target: target, hostIP: hostIP) }
        }
        return NamedPort(name: name, preferred: preferred, env: env, compose: compose, location: location,
                         preferredLocation: fields["port"]?.location, envLocation: fields["env"]?.location,
                         composeLocation: fields["compose"]?.location)
    }

    /// Rules that need all services at once: unique variables, unique preferences, unique Compose targets.
    mutating func checkAcrossServices() {
        var variables: [String: (PortLabel, SourceLocation)] = [:]
        var preferences: [Int: (PortLabel, SourceLocation)] = [:]
        // A container port is published once per protocol, whatever the host address.
        var composeTargets: [String: (PortLabel, SourceLocation)] = [:]
        // Document order, so the second occurrence is the one reported.
        for (service, named, transport, port) in declared.sorted(by: { $0.port.location < $1.port.location }) {
            let label = PortLabel(service: service, port: port.name)
            let path = named ? "services.\(service).ports.\(port.name)" : "services.\(service)"
            let envAt = port.envLocation ?? port.location
            for variable in port.env {
                if let (owner, first) = variables[variable], owner != label {
                    let implicit = port.envLocation == nil ? " (its default name)" : ""
                    reader.bag.error("variable '\(variable)'\(implicit) is also set by \(owner) (line \(first.line))", at: envAt,
                                     path: "\(path).env", hint: "give each service its own variable names with `env:`")
                } else {
                    variables[variable] = (label, envAt)
                }
            }
            if let preferred = port.preferred {
                let at = port.preferredLocation ?? port.location
                if let (owner, first) = preferences[preferred] {
                    reader.bag.error("port \(preferred) is also preferred by \(owner) (line \(first.line))", at: at,
                                     path: "\(path).port", hint: "prefer another port, or drop the preference")
                } else {
                    preferences[preferred] = (label, at)
                }
                // A personal reservation must not make a committed manifest invalid for this
                // user: the preference falls back to the range, and resolve says so in a finding.
                if catalog.isReserved(preferred) {
                    reader.bag.warning("port \(preferred) is reserved in your configuration, so \(label) will get another port of its range",
                                       at: at, path: "\(path).port", hint: catalog.configPath.map { "see \($0)" })
                }
            }
            if let compose = port.compose {
                let at = port.composeLocation ?? port.location
                let shown = "\(compose.service):\(compose.target)\(transport.composeSuffix)"
                if let (owner, first) = composeTargets[shown] {
                    reader.bag.error("Compose port \(shown) is also published by \(owner) (line \(first.line))",
                                     at: at, path: "\(path).compose", hint: "publish each container port once")
                } else {
                    composeTargets[shown] = (label, at)
                }
            }
        }
    }
}

extension Manifest {
    /// Compose service names: letters, digits, '.', '_' and '-', starting with a letter or digit.
    static func isValidComposeName(_ name: String) -> Bool {
        guard let first = name.utf8.first, ASCII.isAlphanumeric(first) else { return false }
        return name.utf8.allSatisfy { ASCII.isAlphanumeric($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d }
    }

    /// An IPv4 address in dotted-quad form or an IPv6 address without brackets, as the kernel reads them.
    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
