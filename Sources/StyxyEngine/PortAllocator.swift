import StyxyCore
import StyxyManifest
import StyxyProbe

/// Chooses ports for new leases: the port's own preference, then the type's preferred ports, then
/// the range in order. A candidate is taken only when all five conditions of the hybrid check hold:
/// (a) no live lease holds it, (b) it is not reserved, (c) it is outside the kernel's ephemeral
/// range unless the manifest's own range reaches there, (d) no socket listens on it, on any
/// address, IPv4 or IPv6, and (e) a bind on the wildcard addresses succeeds. The ledger is never
/// trusted alone, inside managed ranges too.
struct PortAllocator {
    let probe: any PortProbe
    let snapshot: PortSnapshot
    let catalog: Catalog
    /// Ports held by live leases; grows as this run hands out ports.
    var held: [Int: Lease]
    /// Ports other services of the same manifest prefer: taken only by their own port.
    var avoid: Set<Int> = []
    private var ephemeral: ClosedRange<Int>??

    init(probe: any PortProbe, snapshot: PortSnapshot, catalog: Catalog, held: [Int: Lease]) {
        self.probe = probe
        self.snapshot = snapshot
        self.catalog = catalog
        self.held = held
    }

    /// Why candidates were passed over, for the "no free port" message.
    struct Refusals {
        var leased: [Int] = []
        var reserved: [Int] = []
        var ephemeral: [Int] = []
        var listening: [Int] = []
        var timeWait: [Int] = []
        var bindFailed: [Int] = []
    }

    mutating func ephemeralRange() -> ClosedRange<Int>? {
        if let known = ephemeral { return known }
        let range = probe.ephemeralRange().map { Int($0.lowerBound)...Int($0.upperBound) }
        ephemeral = .some(range)
        return range
    }

    func candidates(for service: Service, port: NamedPort) -> [Int] {
        var seen = Set<Int>()
        var ordered: [Int] = []
        for candidate in [port.preferred].compactMap({ $0 }) + service.typePreferred + Array(service.range)
        where seen.insert(candidate).inserted {
            ordered.append(candidate)
        }
        return ordered
    }

    /// A port for `key`, or a `noFreePort` error explaining what holds the range.
    mutating func allocate(for lease: LeaseKey, service: Service, port: NamedPort) throws(StyxyError) -> Int {
        var refusals = Refusals()
        let transport = service.transport
        for candidate in candidates(for: service, port: port) {
            if candidate != port.preferred && avoid.contains(candidate) {
                refusals.leased.append(candidate)
            } else if held[candidate] != nil {
                refusals.leased.append(candidate)
            } else if catalog.isReserved(candidate) {
                refusals.reserved.append(candidate)
            } else if !service.explicitRange || !service.range.contains(candidate), let range = ephemeralRange(), range.contains(candidate) {
                refusals.ephemeral.append(candidate)
            } else if snapshot.isListening(UInt16(candidate), proto: transport) {
                refusals.listening.append(candidate)
            } else if transport == .tcp && snapshot.hasTimeWait(UInt16(candidate)) {
                // A server without SO_REUSEADDR could not bind it for a minute; a new lease can wait.
                refusals.timeWait.append(candidate)
            } else if probe.bindTest(port: UInt16(candidate), proto: transport) != .free {
                refusals.bindFailed.append(candidate)
            } else {
                return candidate
            }
        }
        throw noFreePort(service: service, port: port, refusals: refusals)
    }

    private func noFreePort(service: Service, port: NamedPort, refusals: Refusals) -> StyxyError {
        let label = service.label(of: port)
        var reasons: [String] = []
        func add(_ ports: [Int], _ what: String) {
            guard !ports.isEmpty else { return }
            let sample = ports.prefix(3).map(String.init).joined(separator: ", ")
            reasons.append("\(ports.count) \(what) (\(sample)\(ports.count > 3 ? ", ..." : ""))")
        }
        add(refusals.leased, "leased to other services")
        add(refusals.listening + refusals.bindFailed, "in use by other processes")
        add(refusals.timeWait, "in TIME_WAIT")
        add(refusals.reserved, "reserved")
        add(refusals.ephemeral, "in the kernel's ephemeral range")
        let owners = Set(refusals.leased.compactMap { held[$0] }.map { $0.isShared ? "shared" : $0.project }).sorted()
        var message = "no free port for '\(label)' in \(service.range.lowerBound)-\(service.range.upperBound): " + reasons.joined(separator: ", ")
        if !owners.isEmpty { message += "; leases belong to \(owners.prefix(5).joined(separator: ", "))" }
        return StyxyError(.noFreePort, message, at: port.location,
                          hint: "free some with `styxy lease prune` or `styxy lease release`, stop what listens (`styxy scan`), or widen the service's `range:`")
    }
}
