import StyxyCore

/// Everything a template sees, documented field by field in docs/templates.md. These are plain
/// values: the engine fills them from the manifest and the leases, and `mustacheValue` turns them
/// into what templates render. Lists are sorted here, so output never depends on the order
/// a caller happened to build them in.
public struct RenderContext: Sendable, Equatable, Encodable {
    public var project: String
    /// The canonical absolute project root.
    public var root: String
    public var instance: String
    /// The manifest's path relative to `root`, e.g. `styxy.yaml`.
    public var manifest: String
    /// Sorted by name.
    public var services: [ServiceContext]

    public init(project: String, root: String, instance: String, manifest: String, services: [ServiceContext]) {
        self.project = project
        self.root = root
        self.instance = instance
        self.manifest = manifest
        self.services = services.sorted { $0.name < $1.name }
    }

    /// A digest of every stored field, nested ones included, for caches that may skip rendering
    /// only when nothing rendering reads has changed. It is derived from the context's synthesized
    /// `Encodable` conformance, not from a list: a field added to any of these types is covered
    /// the moment it is declared (keep the conformances synthesized; a hand-written `encode(to:)`
    /// would bring the list back).
    public var fingerprint: String {
        var result = Digest()
        digest(into: &result)
        return result.hex
    }

    /// Adds the fingerprint's input to `digest`, for a cache key that covers more than the context.
    public func digest(into digest: inout Digest) {
        digest.add(encoding: self)
    }

    /// The Compose project name of a non-default instance, `PROJECT-INSTANCE` as Compose would
    /// normalise it (lowercase `[a-z0-9_-]`, starting with a letter or digit), so two instances in
    /// one folder get their own containers, networks and volumes. Nil for the default instance:
    /// Compose then names the project after the folder, which already differs between worktrees.
    /// Derived from fields the fingerprint covers, so it needs no place in it.
    public var composeProject: String? {
        guard instance != PortLabel.defaultInstance else { return nil }
        let name = Self.composeProjectName("\(project)-\(instance)")
        return name.isEmpty ? nil : name
    }

    /// Compose's own normalisation (compose-go `NormalizeProjectName`): lowercase, keep
    /// `[a-z0-9_-]`, drop leading `_` and `-`.
    public static func composeProjectName(_ text: String) -> String {
        let kept = text.lowercased().unicodeScalars.filter { scalar in
            ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-"
        }
        return String(String.UnicodeScalarView(kept.drop { $0 == "_" || $0 == "-" }))
    }

    /// Every variable name with its port, across all services and named ports, sorted by name.
    public var variables: [(name: String, port: Int)] {
        services.flatMap { service in service.ports.flatMap { port in port.env.map { ($0, port.port) } } }
            .sorted { ($0.0, $0.1) < ($1.0, $1.1) }
    }
}

/// One service. A service declared with a single `port:` has exactly one named port, called
/// `default`, so templates that walk `ports` see every port of every service; `port`, `env` and
/// `compose` are those of the first port (by name), which for a single-port service is its only one.
public struct ServiceContext: Sendable, Equatable, Encodable {
    public var name: String
    public var type: String
    /// Sorted by name; never empty.
    public var ports: [NamedPortContext]
    /// The command with its `{{…}}` already expanded (see `expandCommand`), or nil.
    public var command: String?
    public var shared: Bool
    /// The folder the command runs in, relative to the project root (`cwd:`); nil for the root.
    public var cwd: String? = nil
    /// The services this one starts after (`after:`), as written.
    public var after: [String] = []
    /// `ready: { timeout }` in seconds, or nil.
    public var readyTimeout: Double? = nil

    /// The name of the only port of a service declared with `port:` rather than `ports:`.
    public static let defaultPortName = PortLabel.defaultPortName

    /// A single-port service.
    public init(
        name: String, type: String, port: Int, env: [String], command: String? = nil,
        compose: ComposeContext? = nil, shared: Bool = false
    ) {
        self.init(
            name: name, type: type,
            ports: [NamedPortContext(name: Self.defaultPortName, port: port, env: env, compose: compose)],
            command: command, shared: shared)
    }

    /// A service with named ports; `ports` must not be empty.
    public init(
        name: String, type: String, ports: [NamedPortContext], command: String? = nil, shared: Bool = false,
        cwd: String? = nil, after: [String] = [], readyTimeout: Double? = nil
    ) {
        precondition(!ports.isEmpty, "a service has at least one port")
        self.name = name
        self.type = type
        self.ports = ports.sorted { $0.name < $1.name }
        self.command = command
        self.shared = shared
        self.cwd = cwd
        self.after = after
        self.readyTimeout = readyTimeout
    }

    /// Its only or first port.
    public var port: Int { ports[0].port }
    /// The variable names of `port`.
    public var env: [String] { ports[0].env }
    /// The Compose mapping of `port`, if any.
    public var compose: ComposeContext? { ports[0].compose }
}

public struct NamedPortContext: Sendable, Equatable, Encodable {
    public var name: String
    public var port: Int
    public var env: [String]
    /// Where Compose publishes this port, when the manifest says so.
    public var compose: ComposeContext?

    public init(name: String, port: Int, env: [String], compose: ComposeContext? = nil) {
        self.name = name
        self.port = port
        self.env = env
        self.compose = compose
    }
}

/// A Compose service and the container port a leased host port is published to.
public struct ComposeContext: Sendable, Equatable, Encodable {
    public var service: String
    public var target: Int
    /// The host address to publish on, without brackets; nil for every address.
    public var hostIP: String?
    /// The service's protocol; templates see it as `protocol`, `tcp` or `udp`.
    public var transport: Transport

    public init(service: String, target: Int, hostIP: String? = nil, transport: Transport = .tcp) {
        self.service = service
        self.target = target
        self.hostIP = hostIP
        self.transport = transport
    }

    /// Compose's short syntax for publishing `host` to this target: `8000:80`,
    /// `127.0.0.1:8000:80`, `[::1]:8000:80`, with `/udp` for UDP.
    public func published(host: Int) -> String {
        let address = hostIP.map { $0.contains(":") ? "[\($0)]:" : "\($0):" } ?? ""
        return "\(address)\(host):\(target)\(transport.composeSuffix)"
    }
}
