import StyxyCore
import StyxyManifest
import StyxyProbe

public struct ResolveOptions: Sendable {
    public var instance: String = Lease.defaultInstance
    public enum TTL: Sendable, Equatable {
        /// New leases get none; existing ones keep the TTL they were given (a CI job that passed
        /// `--ttl` once stays temporary when later commands omit it).
        case keep
        case set(Int64)
        /// `--ttl none`: existing leases become permanent.
        case clear
    }

    /// Seconds a lease lives without a refresh.
    public var ttl: TTL
    /// Move leases whose port another project's or a foreign process holds.
    public var reassign = false
    /// Plan only: write nothing, take no lock.
    public var dryRun = false

    public init(instance: String = Lease.defaultInstance, ttl: Int64? = nil, reassign: Bool = false, dryRun: Bool = false) {
        self.init(instance: instance, ttl: ttl.map(TTL.set) ?? .keep, reassign: reassign, dryRun: dryRun)
    }

    public init(instance: String, ttl: TTL, reassign: Bool = false, dryRun: Bool = false) {
        self.instance = instance
        self.ttl = ttl
        self.reassign = reassign
        self.dryRun = dryRun
    }
}

/// One port of one service after a resolve.
public struct Assignment: Sendable, Equatable {
    public enum Status: String, Sendable {
        case kept, new, moved
    }

    public var service: String
    public var portName: String
    public var env: [String]
    public var port: Int
    public var status: Status
    public var previousPort: Int?
    public var shared: Bool
    /// Who listens on the port now, when anyone does.
    public var occupant: PortOccupant?

    /// `web`, or `emulators.ui` for a named port: how messages name the port.
    public var label: PortLabel { PortLabel(service: service, port: portName) }
}

/// Something a user should hear about: a decision that differs from what the manifest asked for
/// (a preference not free, a move), a conflict, a TIME_WAIT, a shared service in use. The fields
/// besides `message` say the same for scripts (`resolve --json` `findings`, docs/json.md).
public struct Finding: Sendable, Equatable {
    public enum Severity: String, Sendable { case conflict, note }

    public enum Kind: String, Sendable {
        /// A new lease did not get the port the manifest prefers (`reason` says why).
        case preferenceUnavailable = "preference_unavailable"
        /// A kept lease's port is held by another project or a foreign process.
        case conflict
        /// A lease moved (`reason`: `outside_range`, `new_preference`, `held`).
        case moved
        /// A shared service's port is in use: it is running.
        case sharedRunning = "shared_running"
        /// Nobody listens, but connections linger in TIME_WAIT.
        case timeWait = "time_wait"
    }

    public var kind: Kind
    public var severity: Severity
    public var service: String
    public var portName: String
    /// The port the finding is about: the lease's, or the one the manifest wanted.
    public var port: Int
    public var wanted: Int?
    public var got: Int?
    /// One word for scripts: `leased`, `preferred_elsewhere`, `reserved`, `ephemeral`, `in_use`,
    /// `time_wait`, `bind_failed`, `held`, `outside_range`, `new_preference`, `not_free`.
    public var reason: String
    /// Who listens on the port, when that is the reason.
    public var occupant: PortOccupant?
    /// The lease holding the port, when that is the reason.
    public var lease: Lease?
    public var message: String
    public var nextStep: String?

    public init(kind: Kind, severity: Severity = .note, label: PortLabel, port: Int, wanted: Int? = nil, got: Int? = nil,
                reason: String, occupant: PortOccupant? = nil, lease: Lease? = nil, message: String, nextStep: String? = nil) {
        self.kind = kind
        self.severity = severity
        self.service = label.service
        self.portName = label.port
        self.port = port
        self.wanted = wanted
        self.got = got
        self.reason = reason
        self.occupant = occupant
        self.lease = lease
        self.message = message
        self.nextStep = nextStep
    }

    /// The port's label (`web`, `emulators.ui`).
    public var label: PortLabel { PortLabel(service: service, port: portName) }

    /// Why, in a few words, for the STATUS column: `4000: alpha`, `3000: PID 4242`, `8080: reserved`.
    public var short: String {
        let place = wanted.map { "\($0): " } ?? ""
        if let lease { return place + (lease.isShared ? "shared \(lease.key.label)" : lease.project) }
        if let holder = occupant?.holders.first { return place + "PID \(holder.pid)" }
        return place + String(reason.map { $0 == "_" ? " " : $0 })
    }
}

public struct ResolveReport: Sendable {
    public var project: String
    public var root: String
    public var instance: String
    public var assignments: [Assignment]
    public var released: [Lease]
    public var findings: [Finding]
    /// True when the ledger changed (or, in a dry run, would change).
    public var ledgerChanged: Bool
    /// True when some lease still keeps a port it moved away from (see `settleMoves`).
    public var pendingMoves = false

    public var conflicts: [Finding] { findings.filter { $0.severity == .conflict } }

    /// The port `label` was given; nil when this report does not cover it.
    public func port(of label: PortLabel) -> Int? {
        assignments.first { $0.service == label.service && $0.portName == label.port }?.port
    }

    /// The port of `port`, one of `service`'s. A report of `resolve(manifest)` holds every port of
    /// that manifest, so a miss means the report is another manifest's: a programming error,
    /// stopped here rather than rendered as port 0.
    public func port(of service: Service, _ port: NamedPort) -> Int {
        guard let leased = self.port(of: service.label(of: port)) else {
            preconditionFailure("the resolve report of \(root) has no port \(service.label(of: port))")
        }
        return leased
    }
}

/// Brings the ledger in line with a manifest: keeps existing leases, hands out new ones through
/// the hybrid check, releases what the manifest dropped, refreshes the rest, and explains every
/// port that someone else holds.
public struct Resolver: Sendable {
    /// A resolve within this many seconds of the last refresh leaves `refreshed_at` alone, so warm
    /// runs write nothing and take no lock.
    public static let refreshInterval: Int64 = 60

    public let ledger: Ledger
    public let probe: any PortProbe
    public let catalog: Catalog
    public let lockTimeout: Double
    public let clock: @Sendable () -> Int64

    public init(ledger: Ledger, probe: any PortProbe, catalog: Catalog, lockTimeout: Double,
                clock: @escaping @Sendable () -> Int64 = Timestamp.now) {
        self.ledger = ledger
        self.probe = probe
        self.catalog = catalog
        self.lockTimeout = lockTimeout
        self.clock = clock
    }

    public func resolve(_ manifest: Manifest, options: ResolveOptions) throws(StyxyError) -> ResolveReport {
        try ledger.home.prepare(create: false)
        let snapshot = try takeSnapshot(for: manifest)
        // A first, lock-free look at only this project's leases decides whether anything changes;
        // the rest of the ledger is read only if a port must be chosen or a holder classified.
        var draft = try ledger.read(focus: manifest.root)
        // A port the ledger has no lease for yet will be leased: that changes the ledger for
        // certain, so the lock-free plan (which would read every lease to choose ports) is skipped.
        // Only for a ledger that exists: on a fresh home, a plan that fails creates no state folder.
        let wanted = Self.wantedKeys(manifest, instance: options.instance)
        if !options.dryRun, draft.generation > 0, wanted.contains(where: { draft.lease(for: $0.key) == nil }) {
            return try lockedPlan(manifest, snapshot: snapshot, options: options)
        }
        var everyone: [Lease]?
        let report = try plan(manifest, state: &draft, snapshot: snapshot, options: options) { () throws(StyxyError) -> [Lease] in
            if let everyone { return everyone }
            let all = try ledger.read().leases
            everyone = all
            return all
        }
        if !report.ledgerChanged || options.dryRun { return report }
        return try lockedPlan(manifest, snapshot: snapshot, options: options)
    }

    /// Something changes: plan again on the whole state read under the lock, so no update is lost.
    private func lockedPlan(_ manifest: Manifest, snapshot: PortSnapshot, options: ResolveOptions) throws(StyxyError) -> ResolveReport {
        try ledger.update(timeout: lockTimeout) { (state: inout LedgerState) throws(StyxyError) -> ResolveReport in
            let all = state.leases
            var locked = try plan(manifest, state: &state, snapshot: snapshot, options: options) { () throws(StyxyError) -> [Lease] in all }
            locked.ledgerChanged = true
            return locked
        }
    }

    /// The second phase of a move: once outputs name the new ports, the old ones are let go.
    public func settleMoves(_ manifest: Manifest, instance: String) throws(StyxyError) {
        let keys = Set(Self.wantedKeys(manifest, instance: instance).map(\.key))
        guard try ledger.read(focus: manifest.root).leases.contains(where: { keys.contains($0.key) && !$0.retiredPorts.isEmpty }) else { return }
        try ledger.update(timeout: lockTimeout) { (state: inout LedgerState) throws(StyxyError) in
            Self.settle(&state, keys: keys)
        }
    }

    /// Lets go of the ports that the leases at `keys` moved away from.
    static func settle(_ state: inout LedgerState, keys: Set<LeaseKey>) {
        for index in state.leases.indices where keys.contains(state.leases[index].key) && !state.leases[index].retiredPorts.isEmpty {
            state.leases[index].retiredPorts = []
        }
    }

    func takeSnapshot(for manifest: Manifest) throws(StyxyError) -> PortSnapshot {
        var protocols: Set<Transport> = [.tcp]
        for service in manifest.services { protocols.insert(service.transport) }
        return try probe.socketTables(protocols)
    }

    static func wantedKeys(_ manifest: Manifest, instance: String) -> [(key: LeaseKey, service: Service, port: NamedPort)] {
        manifest.services.flatMap { service in
            service.ports.map { port in
                let key = service.shared ? LeaseKey.shared(service: service.name, portName: port.name)
                    : LeaseKey(root: manifest.root, service: service.name, portName: port.name, instance: instance)
                return (key, service, port)
            }
        }
    }
}
