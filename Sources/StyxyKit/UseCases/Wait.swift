import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyProbe

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `wait`: until every leased port of some services accepts connections and is held by this
/// project's processes, for scripts and test runners (Playwright's `webServer`, CI steps).
package struct WaitReport: Sendable {
    package enum State: String, Sendable {
        /// Accepts connections, held by this project.
        case ready
        /// Nothing listens yet.
        case missing
        /// Something listens, but Styxy cannot see which process (another user's).
        case hidden
        /// Another project or a foreign process holds it: waiting longer will not help.
        case taken
    }

    package struct Port: Sendable {
        package var port: WatchedPort
        package var state: State
        package var occupant: PortOccupant?
    }

    package var ports: [Port]
    package var elapsed: Double
    /// True when every port is ready.
    package var ready: Bool { ports.allSatisfy { $0.state == .ready } }
    /// True when a port is taken by someone else: the wait ended at once.
    package var taken: [Port] { ports.filter { $0.state == .taken } }
}

extension StyxyApp {
    /// The longest `--timeout` a wait takes, like the longest ready timeout of `up`.
    package static let longestWait = Service.longestReadyTimeout
    package static let defaultWait: Double = 60

    /// Leases like `env` (the same ports `run` and `up` use), then checks every 100 ms until each
    /// port of `names` (default: every service) is ready, one is taken, or `timeout` passes.
    package func wait(_ request: LeaseRequest, services names: [String], timeout: Double) throws(StyxyError) -> WaitReport {
        let start = Monotonic.seconds()
        let workspace = try workspace()
        let manifest = try workspace.loadManifest(locateManifest(request.manifest))
        let services = names.isEmpty ? manifest.services : try Self.services(named: names, in: manifest)
        let report = try ResolvePipeline(workspace).run(manifest, options: ResolveOptions(instance: request.instance, ttl: request.ttl),
                                                        mode: .leaseOnly).report
        let watched = Self.watchedPorts(of: services, report: report)
        let shared = Set(services.filter(\.shared).map(\.name))
        let ports = services.flatMap { watched[$0.name] ?? [] }
        while true {
            let states = try check(ports, root: manifest.root, shared: shared, workspace: workspace)
            let result = WaitReport(ports: states, elapsed: Monotonic.seconds() - start)
            if result.ready || !result.taken.isEmpty || result.elapsed >= timeout { return result }
            usleep(100_000)
        }
    }

    private func check(_ ports: [WatchedPort], root: String, shared: Set<String>,
                       workspace: Workspace) throws(StyxyError) -> [WaitReport.Port] {
        let snapshot = try workspace.probe.socketTables([.tcp, .udp])
        let occupants = PortInspector(probe: workspace.probe, snapshot: snapshot).occupants(
            of: ports.map { ($0.port, $0.transport) }, root: root,
            knownProjects: { ((try? workspace.ledger.read().leases) ?? []).compactMap { lease in lease.key.root.map { ($0, lease.project) } } })
        return ports.map { port in
            guard let occupant = occupants[port.port] else { return .init(port: port, state: .missing, occupant: nil) }
            if occupant.hidden { return .init(port: port, state: .hidden, occupant: occupant) }
            // A shared service is one machine-wide server; whichever project started it is fine.
            guard occupant.holderClass == .thisProject || shared.contains(port.label.service) else {
                return .init(port: port, state: .taken, occupant: occupant)
            }
            let accepts = port.transport == .udp || Self.acceptsConnections(port.port)
            return .init(port: port, state: accepts ? .ready : .missing, occupant: occupant)
        }
    }

    /// True when a TCP connection to the port on the loopback address (IPv4, else IPv6) succeeds.
    static func acceptsConnections(_ port: Int) -> Bool {
        connects(family: AF_INET, port: port) || connects(family: AF_INET6, port: port)
    }

    private static func connects(family: Int32, port: Int) -> Bool {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if family == AF_INET {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = in_addr_t(UInt32(0x7f00_0001).bigEndian)
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
        }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = in_port_t(UInt16(port).bigEndian)
        address.sin6_addr = in6addr_loopback
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0 }
        }
    }
}
