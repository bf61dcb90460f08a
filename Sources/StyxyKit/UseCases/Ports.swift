import StyxyCore
import StyxyEngine
import StyxyProbe

/// `check` and `scan`: ports as the operating system sees them, beside the ledger. Both look at
/// TCP and UDP unless told one: a port a UDP socket holds is not free for a UDP service.
package struct PortCheck: Sendable {
    /// One protocol's answer for the port.
    package struct Side: Sendable {
        package var transport: Transport
        package var bind: BindResult
        /// A TCP listener, or a bound UDP socket.
        package var listening: Bool

        var state: String {
            let udp = transport == .udp ? "udp " : ""
            switch bind {
            case .free: return "free"
            case .inUse: return listening ? (transport == .udp ? "udp bound" : "listening") : udp + "in use"
            case .denied(let code): return udp + "denied (\(FileIO.errorText(code)))"
            }
        }
    }

    package var port: Int
    package var sides: [Side]
    package var timeWait: Bool
    package var holders: [PortHolder]
    package var lease: Lease?

    package var isFree: Bool { sides.allSatisfy { $0.bind == .free } }
    package var listening: Bool { sides.contains(where: \.listening) }

    /// `free`, `listening`, `udp bound`, `TIME_WAIT`, `in use`, `denied (...)`, joined by `; `
    /// when both protocols are busy.
    package var state: String {
        let busy = sides.filter { $0.bind != .free }
        if busy.isEmpty { return timeWait ? "free (TIME_WAIT)" : "free" }
        return busy.map { side in
            side.transport == .tcp && side.bind == .inUse && !side.listening && timeWait ? "TIME_WAIT" : side.state
        }.joined(separator: "; ")
    }
}

package struct ScannedPort: Sendable {
    package var port: Int
    package var transport: Transport
    package var addresses: [String]
    package var holders: [PortHolder]
    package var lease: Lease?
}

extension StyxyApp {
    /// Each port's state: a port is busy when a socket listens on it (any address, IPv4 or IPv6;
    /// for UDP, any bound socket) or a bind test fails. A lease alone does not make a port busy.
    package func check(ports: [Int], protocols: [Transport] = Transport.allCases) throws(StyxyError) -> [PortCheck] {
        let workspace = try workspace()
        let held = try workspace.leasesByPort()
        let probe = workspace.probe
        let snapshot = try workspace.probe.socketTables(Set(protocols))
        let holders = PortInspector(probe: probe, snapshot: snapshot).holders(of: ports.flatMap { port in protocols.map { (port, $0) } })
        return ports.map { port in
            let sides = protocols.map { transport in
                let listening = snapshot.isListening(UInt16(port), proto: transport)
                return PortCheck.Side(transport: transport, bind: listening ? .inUse : probe.bindTest(port: UInt16(port), proto: transport),
                                      listening: listening)
            }
            return PortCheck(port: port, sides: sides, timeWait: snapshot.hasTimeWait(UInt16(port)), holders: holders[port] ?? [],
                             lease: held[port])
        }
    }

    /// Listening TCP ports and bound UDP ports (of one type's range, or `range`), with their
    /// holders and leases, by port then protocol.
    package func scan(type: String? = nil, range: ClosedRange<Int>? = nil,
                      protocols: [Transport] = Transport.allCases) throws(StyxyError) -> [ScannedPort] {
        let workspace = try workspace()
        var filter = range
        if let type {
            guard let known = workspace.catalog.types[type] else {
                throw StyxyError(.usage, "unknown service type '\(type)'",
                                 hint: Suggestion.didYouMean(type, among: workspace.catalog.sortedTypes.map(\.name)) ?? "`styxy types` lists them")
            }
            filter = known.range
        }
        let held = try workspace.leasesByPort()
        let snapshot = try workspace.probe.socketTables(Set(protocols))
        var found: [(port: Int, transport: Transport)] = []
        for transport in protocols {
            let ports = Set(snapshot.entries.filter { $0.proto == transport && $0.state == .listen }.map { Int($0.port) })
            found += ports.filter { filter?.contains($0) ?? true }.map { ($0, transport) }
        }
        found.sort { ($0.port, $0.transport.rawValue) < ($1.port, $1.transport.rawValue) }
        // One scan of /proc per protocol, for all of its ports.
        let inspector = PortInspector(probe: workspace.probe, snapshot: snapshot)
        var holders: [Transport: [Int: [PortHolder]]] = [:]
        for transport in protocols { holders[transport] = inspector.holders(of: found.filter { $0.transport == transport }) }
        return found.map { item in
            ScannedPort(port: item.port, transport: item.transport,
                        addresses: snapshot.listeners(on: UInt16(item.port), proto: item.transport).map(\.localAddress),
                        holders: holders[item.transport]?[item.port] ?? [], lease: held[item.port])
        }
    }
}

extension Workspace {
    /// The live leases by port, after checking the state home without creating it.
    func leasesByPort() throws(StyxyError) -> [Int: Lease] {
        try home.prepare(create: false)
        return try ledger.read().heldPorts(at: now)
    }
}
