import StyxyCore
import StyxyEngine
import StyxyProbe

/// `check` and `scan`: ports as the operating system sees them, beside the ledger.
package struct PortCheck: Sendable {
    package var port: Int
    package var bind: BindResult
    package var listening: Bool
    package var timeWait: Bool
    package var holders: [PortHolder]
    package var lease: Lease?

    package var isFree: Bool { bind == .free }

    /// `free`, `listening`, `TIME_WAIT`, `in use`, `denied (...)`.
    package var state: String {
        switch bind {
        case .free: return timeWait ? "free (TIME_WAIT)" : "free"
        case .inUse: return listening ? "listening" : (timeWait ? "TIME_WAIT" : "in use")
        case .denied(let code): return "denied (\(FileIO.errorText(code)))"
        }
    }
}

package struct ScannedPort: Sendable {
    package var port: Int
    package var addresses: [String]
    package var holders: [PortHolder]
    package var lease: Lease?
}

extension StyxyApp {
    /// Each port's state: a port is busy when a socket listens on it (any address, IPv4 or IPv6)
    /// or a bind test fails. A lease alone does not make a port busy.
    package func check(ports: [Int]) throws(StyxyError) -> [PortCheck] {
        let workspace = try workspace()
        let held = try workspace.leasesByPort()
        let probe = workspace.probe
        let snapshot = try workspace.snapshot()
        let holders = PortInspector(probe: probe, snapshot: snapshot).holders(of: ports)
        return ports.map { port in
            let listening = snapshot.isListening(UInt16(port))
            return PortCheck(port: port, bind: listening ? .inUse : probe.bindTest(port: UInt16(port), proto: .tcp),
                             listening: listening, timeWait: snapshot.hasTimeWait(UInt16(port)), holders: holders[port] ?? [],
                             lease: held[port])
        }
    }

    /// Listening ports (of one type's range, or `range`), with their holders and leases.
    package func scan(type: String? = nil, range: ClosedRange<Int>? = nil) throws(StyxyError) -> [ScannedPort] {
        let workspace = try workspace()
        var filter = range
        if let type {
            guard let known = workspace.catalog.types[type] else {
                throw StyxyError(.usage, "unknown service type '\(type)'", hint: "`styxy types` lists them")
            }
            filter = known.range
        }
        let held = try workspace.leasesByPort()
        let snapshot = try workspace.snapshot()
        let ports = snapshot.listeningPorts.map(Int.init).filter { filter?.contains($0) ?? true }.sorted()
        let holders = PortInspector(probe: workspace.probe, snapshot: snapshot).holders(of: ports)
        return ports.map { port in
            ScannedPort(port: port, addresses: snapshot.listeners(on: UInt16(port)).map(\.localAddress),
                        holders: holders[port] ?? [], lease: held[port])
        }
    }
}

extension Workspace {
    /// The live leases by port, after checking the state home without creating it.
    func leasesByPort() throws(StyxyError) -> [Int: Lease] {
        try home.prepare(create: false)
        return try ledger.read().heldPorts(at: now)
    }

    /// The kernel's TCP socket tables, or an error naming what could not be read.
    func snapshot() throws(StyxyError) -> PortSnapshot {
        do {
            return try probe.snapshot(protocols: [.tcp])
        } catch {
            throw StyxyError(.ledgerIO, "cannot read the kernel's socket tables: \(error)",
                             hint: "Styxy needs /proc/net to see which ports are in use")
        }
    }
}
