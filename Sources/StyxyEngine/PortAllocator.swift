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
    var held: HeldPorts
    /// Ports other services of the same manifest prefer: taken only by their own port.
    var avoid: Set<Int> = []
    private var ephemeral: ClosedRange<Int>??

    init(probe: any PortProbe, snapshot: PortSnapshot, catalog: Catalog, held: HeldPorts) {
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

    /// The port's preference, the type's preferred ports, then the range, each port once. Only
    /// the few preferred ones can repeat, so they are deduplicated by looking, not hashing: a
    /// matrix asks this for every port of every instance, each time over a whole range.
    func candidates(for service: Service, port: NamedPort) -> [Int] {
        var preferred: [Int] = []
        for candidate in [port.preferred].compactMap({ $0 }) + service.typePreferred where !preferred.contains(candidate) {
            preferred.append(candidate)
        }
        return preferred + service.range.filter { !preferred.contains($0) }
    }

    /// Why a candidate was passed over.
    enum Skip: Equatable {
        /// Another port of this manifest prefers it.
        case preferredElsewhere
        case leased(Lease)
        case reserved
        case ephemeral
        case listening
        case timeWait
        case bindFailed(BindResult)
    }

    /// A port for `key`, or a `noFreePort` error explaining what holds the range. `skippedPreference`
    /// says why the port's own preference was passed over, when it was.
    mutating func allocate(for lease: LeaseKey, service: Service, port: NamedPort) throws(StyxyError)
        -> (port: Int, skippedPreference: Skip?) {
        var refusals = Refusals()
        var skippedPreference: Skip?
        for candidate in candidates(for: service, port: port) {
            guard let skip = skip(candidate, service: service, port: port) else { return (candidate, skippedPreference) }
            if candidate == port.preferred { skippedPreference = skip }
            switch skip {
            case .preferredElsewhere, .leased: refusals.leased.append(candidate)
            case .reserved: refusals.reserved.append(candidate)
            case .ephemeral: refusals.ephemeral.append(candidate)
            case .listening: refusals.listening.append(candidate)
            case .timeWait: refusals.timeWait.append(candidate)
            case .bindFailed: refusals.bindFailed.append(candidate)
            }
        }
        throw noFreePort(service: service, port: port, refusals: refusals)
    }

    /// Why `candidate` cannot be leased now; nil when it can (all five checks of the hybrid check hold).
    private mutating func skip(_ candidate: Int, service: Service, port: NamedPort) -> Skip? {
        let transport = service.transport
        if candidate != port.preferred && avoid.contains(candidate) { return .preferredElsewhere }
        if let lease = held[candidate] { return .leased(lease) }
        if catalog.isReserved(candidate) { return .reserved }
        if !service.explicitRange || !service.range.contains(candidate), let range = ephemeralRange(), range.contains(candidate) {
            return .ephemeral
        }
        if snapshot.isListening(UInt16(candidate), proto: transport) { return .listening }
        // A server without SO_REUSEADDR could not bind it for a minute; a new lease can wait.
        if transport == .tcp && snapshot.hasTimeWait(UInt16(candidate)) { return .timeWait }
        let bind = probe.bindTest(port: UInt16(candidate), proto: transport)
        return bind == .free ? nil : .bindFailed(bind)
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
