import StyxyCore

/// A project's `styxy.yaml`, validated. Services and their ports are sorted by name, so everything
/// derived from a manifest is deterministic.
public struct Manifest: Sendable {
    /// The manifest's path as the user named it, for messages.
    public var path: String
    /// The manifest's absolute path, for opening it and the templates beside it.
    public var file: String
    /// The canonical absolute path of the folder holding the manifest: the project's identity.
    public var root: String
    public var project: String
    public var services: [Service]
    public var outputs: [Output]
    /// What is worth saying about a valid manifest (`validate` prints them).
    public var warnings: [Diagnostic] = []

    public func service(named name: String) -> Service? {
        services.first { $0.name == name }
    }

    /// The absolute path of the folder a service's command runs in: its `cwd:` below the root.
    public func workingFolder(of service: Service) -> String {
        service.cwd.map { $0 == "." ? root : FileIO.join(root, $0) } ?? root
    }

    /// The services `names` name and every service they are `after:`, however indirectly, in an
    /// order to start them: each after everything it waits for, otherwise by name. Names the
    /// manifest does not declare are left out; the loader has refused cycles, so all others fit.
    public func startOrder(of names: [String]) -> [Service] {
        var wanted = Set<String>()
        var pending = names
        while let name = pending.popLast() {
            guard let service = service(named: name), wanted.insert(name).inserted else { continue }
            pending += service.after.map(\.name)
        }
        var ordered: [Service] = []
        var started = Set<String>()
        // Services are sorted by name, so each pass takes the first ready one by name.
        while ordered.count < wanted.count {
            guard let next = services.first(where: { service in
                wanted.contains(service.name) && !started.contains(service.name) && service.after.allSatisfy { started.contains($0.name) }
            }) else { break }
            ordered.append(next)
            started.insert(next.name)
        }
        return ordered
    }

    /// Service and type names: lowercase letters, digits, '-' and '_', starting with a letter.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, ASCII.isLower(first), name.utf8.count <= 63 else { return false }
        return name.utf8.allSatisfy { ASCII.isLower($0) || ASCII.isDigit($0) || $0 == 0x2d || $0 == 0x5f }
    }

    /// Environment variable names: `[A-Z_][A-Z0-9_]*`.
    public static func isValidEnvName(_ name: String) -> Bool {
        guard let first = name.utf8.first, ASCII.isUpper(first) || first == 0x5f else { return false }
        return name.utf8.allSatisfy { ASCII.isUpper($0) || ASCII.isDigit($0) || $0 == 0x5f }
    }

    /// `web-app` → `WEB_APP`: the stem of default variable names.
    public static func envStem(_ name: String) -> String {
        String(name.uppercased().map { $0 == "-" ? "_" : $0 })
    }
}

public struct Service: Sendable {
    public var name: String
    /// The catalog type, when one is named.
    public var type: String?
    /// Where new ports come from: the service's own `range`, else its type's.
    public var range: ClosedRange<Int>
    /// True when the manifest wrote `range:` itself; such a range may reach into the kernel's
    /// ephemeral ports, a type's range may not.
    public var explicitRange: Bool
    /// The type's preferred ports, tried after each port's own preference.
    public var typePreferred: [Int]
    /// At least one. A service written with `port:`/`env:` has one port named `default`.
    public var ports: [NamedPort]
    public var command: String?
    /// The folder `command` runs in (`cwd:`): relative to the project root, canonical (links inside
    /// the project resolved, no `.` or `..` parts), `.` for the root itself; nil when not written,
    /// which also means the root. `Manifest.workingFolder(of:)` gives the absolute path.
    public var cwd: String?
    /// The services that must be ready before this one starts (`after:`), in the order written;
    /// each is declared in the manifest, and no chain of them leads back to this service.
    public var after: [ServiceReference]
    /// How long `up` waits for the service to be ready (`ready: { timeout: D }`), in seconds, at
    /// most `Service.longestReadyTimeout`; nil leaves it to the command.
    public var readyTimeout: Double?
    /// One machine-wide lease, the same port for every project.
    public var shared: Bool
    public var transport: Transport
    public var allowPrivileged: Bool
    public var location: SourceLocation
    /// Where the `command:` value is written, for messages about the command's `{{…}}`.
    public var commandLocation: SourceLocation? = nil

    /// True for services declared with `ports:` (several named ports).
    public var hasNamedPorts: Bool { !(ports.count == 1 && ports[0].name == NamedPort.defaultName) }

    /// How messages name `port`, one of this service's ports.
    public func label(of port: NamedPort) -> PortLabel {
        PortLabel(service: name, port: port.name)
    }

    /// The longest `ready: { timeout: D }`: a server that needs more than an hour to listen is
    /// hung, and `up` must end with a message rather than wait on it all day.
    public static let longestReadyTimeout: Double = 3600
}

/// A service named by another one (in `after:`), with where the name is written.
public struct ServiceReference: Sendable, Hashable {
    public var name: String
    public var location: SourceLocation

    public init(name: String, location: SourceLocation) {
        self.name = name
        self.location = location
    }
}

public struct NamedPort: Sendable {
    public static let defaultName = PortLabel.defaultPortName

    public var name: String
    public var preferred: Int?
    public var env: [String]
    public var compose: ComposeTarget?
    /// Where the port's name (or its service's name) is written.
    public var location: SourceLocation
    /// Where `port:`, `env:` and `compose:` are written, for messages about them.
    public var preferredLocation: SourceLocation?
    public var envLocation: SourceLocation?
    public var composeLocation: SourceLocation?
}

/// The Compose service and container port a leased host port is published to.
public struct ComposeTarget: Sendable, Hashable {
    public var service: String
    public var target: Int
    /// The host address Compose publishes on (`127.0.0.1`, `::1`), as written without brackets;
    /// nil publishes on every address, as Compose does by default.
    public var hostIP: String? = nil
}

public struct Output: Sendable {
    public enum Template: Sendable, Hashable {
        case builtin(String)
        /// A path relative to the manifest's folder, as written, and resolved.
        case file(written: String, resolved: String)
    }

    public var template: Template
    /// Relative to the project root, normalised (no `.` or `..` parts).
    public var path: String
    public var location: SourceLocation
}
