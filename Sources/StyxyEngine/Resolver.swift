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

/// Something a user should hear about: a conflict, a TIME_WAIT, a shared service in use.
public struct Finding: Sendable, Equatable {
    public enum Severity: String, Sendable { case conflict, note }

    public var severity: Severity
    public var service: String
    public var port: Int
    public var message: String
    public var nextStep: String?
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
        var everyone: [Lease]?
        let report = try plan(manifest, state: &draft, snapshot: snapshot, options: options) { () throws(StyxyError) -> [Lease] in
            if let everyone { return everyone }
            let all = try ledger.read().leases
            everyone = all
            return all
        }
        if !report.ledgerChanged || options.dryRun { return report }
        // Something changes: plan again on the whole state read under the lock, so no update is lost.
        return try ledger.update(timeout: lockTimeout) { (state: inout LedgerState) throws(StyxyError) -> ResolveReport in
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
            for index in state.leases.indices where keys.contains(state.leases[index].key) {
                state.leases[index].retiredPorts = []
            }
        }
    }

    func takeSnapshot(for manifest: Manifest) throws(StyxyError) -> PortSnapshot {
        var protocols: Set<Transport> = [.tcp]
        for service in manifest.services { protocols.insert(service.transport) }
        do {
            return try probe.snapshot(protocols: protocols)
        } catch {
            throw StyxyError(.ledgerIO, "cannot read the kernel's socket tables: \(error)",
                             hint: "Styxy needs /proc/net to confirm ports are free")
        }
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

    /// Changes `state` to what the manifest needs; pure but for the probe's bind tests. Only this
    /// project's and shared leases are looked at one by one; the rest of a large ledger is touched
    /// once (for expiry) and indexed only when a new port must be chosen.
    ///
    /// `state` may hold only this project's and the shared leases (the lock-free first look);
    /// `everyone` gives every lease, for choosing ports and recognising other projects.
    func plan(
        _ manifest: Manifest, state: inout LedgerState, snapshot: PortSnapshot, options: ResolveOptions,
        everyone: () throws(StyxyError) -> [Lease]
    ) throws(StyxyError) -> ResolveReport {
        // A clock outside 1970-9999 (a broken RTC, a test's) is pinned to the range, so no time
        // Styxy stores, and no sum below, leaves what the ledger can hold.
        let now = Timestamp.clamped(clock())
        let wanted = Self.wantedKeys(manifest, instance: options.instance)
        let wantedKeys = Set(wanted.map(\.key))
        var report = ResolveReport(project: manifest.project, root: manifest.root, instance: options.instance,
                                   assignments: [], released: [], findings: [], ledgerChanged: false)
        var changed = false

        // Release what the manifest dropped; drop others' expired leases while we are here.
        var kept: [Lease] = []
        kept.reserveCapacity(state.leases.count)
        var index: [LeaseKey: Int] = [:]
        for lease in state.leases {
            let relevant = lease.isShared || lease.key.root == manifest.root
            if relevant && wantedKeys.contains(lease.key) {
                index[lease.key] = kept.count
                kept.append(lease)
            } else if relevant && lease.key.root == manifest.root && lease.key.instance == options.instance {
                report.released.append(lease)
                changed = true
            } else if lease.isExpired(at: now) {
                changed = true
            } else {
                kept.append(lease)
            }
        }
        state.leases = kept

        let existing = wanted.compactMap { item in index[item.key].map { (state.leases[$0].port, item.service.transport) } }
        let known: [(root: String, name: String)]
        if existing.contains(where: { snapshot.isListening(UInt16($0.0), proto: $0.1) }) {
            known = Dictionary(try everyone().filter { !$0.isShared }.map { ($0.key.root, $0.project) }, uniquingKeysWith: { a, _ in a })
                .map { (root: $0.key, name: $0.value) }
        } else {
            known = []
        }
        let classifier = HolderClassifier(probe: probe, snapshot: snapshot) { known }
        let occupants = classifier.occupants(of: existing, root: manifest.root)
        var allocator: PortAllocator?
        func allocate(_ key: LeaseKey, _ service: Service, _ port: NamedPort, freeing held: Lease? = nil) throws(StyxyError) -> Int {
            if allocator == nil {
                var held = LedgerState(leases: try everyone()).heldPorts(at: now)
                for lease in state.leases where !lease.isExpired(at: now) { for port in lease.heldPorts { held[port] = lease } }
                allocator = PortAllocator(probe: probe, snapshot: snapshot, catalog: catalog, held: held)
                // Ports with a preference of their own are placed first, and no other port of this
                // manifest may take a port one of them prefers, whatever the order of the services.
                allocator?.avoid = Set(wanted.compactMap(\.port.preferred))
            }
            return try allocator!.allocate(for: key, service: service, port: port)
        }
        func ttl(of lease: Lease?) -> Int64? {
            switch options.ttl {
            case .keep: return lease?.ttl
            case .set(let seconds): return Lease.clampedTTL(seconds)
            case .clear: return nil
            }
        }

        // The first phase of a move: the new port, with the old one kept held (see settleMoves).
        func move(_ lease: inout Lease, _ assignment: inout Assignment, to fresh: Int) {
            lease.retiredPorts.append(lease.port)
            lease.port = fresh
            allocator?.held[fresh] = lease
            assignment.previousPort = assignment.port
            assignment.port = fresh
            assignment.status = .moved
            assignment.occupant = nil
        }

        let ordered = wanted.filter { $0.port.preferred != nil } + wanted.filter { $0.port.preferred == nil }
        for (key, service, port) in ordered {
            let label = service.label(of: port).description
            if let position = index[key] {
                var lease = state.leases[position]
                var assignment = Assignment(service: service.name, portName: port.name, env: port.env, port: lease.port,
                                            status: .kept, previousPort: nil, shared: service.shared, occupant: occupants[lease.port])
                // The manifest moved the port: a range or type that no longer holds it, or a new
                // preference (tried once; kept only when free).
                let undeclared = !service.shared && lease.port != port.preferred && !service.range.contains(lease.port)
                    && !service.typePreferred.contains(lease.port)
                let newPreference = !service.shared && port.preferred != nil && port.preferred != lease.port && port.preferred != lease.preferred
                if undeclared || newPreference {
                    let fresh = try allocate(key, service, port)
                    if undeclared || fresh == port.preferred {
                        report.findings.append(Finding(severity: .note, service: label, port: lease.port,
                                                       message: undeclared ? "port \(lease.port) is outside what the manifest now declares for \(label); moved to \(fresh)"
                                                           : "\(label) now prefers \(fresh); moved from \(lease.port)"))
                        move(&lease, &assignment, to: fresh)
                    } else {
                        report.findings.append(Finding(severity: .note, service: label, port: lease.port,
                                                       message: "\(label) now prefers \(port.preferred!), which is not free; keeping \(lease.port)"))
                    }
                    lease.preferred = port.preferred
                    changed = true
                } else if let occupant = occupants[lease.port], !service.shared, occupant.holderClass != .thisProject {
                    if options.reassign {
                        let fresh = try allocate(key, service, port)
                        report.findings.append(Finding(severity: .note, service: label, port: lease.port,
                                                       message: "port \(lease.port) is held by \(occupant.description) (\(occupant.holderClass.label)); moved \(label) to \(fresh)"))
                        move(&lease, &assignment, to: fresh)
                        changed = true
                    } else {
                        report.findings.append(conflict(label: label, port: lease.port, occupant: occupant))
                    }
                } else if let occupant = occupants[lease.port], service.shared {
                    report.findings.append(Finding(severity: .note, service: label, port: lease.port,
                                                   message: "shared service \(label) is running: \(occupant.description)"))
                } else if occupants[lease.port] == nil && snapshot.hasTimeWait(UInt16(lease.port)) {
                    report.findings.append(Finding(severity: .note, service: label, port: lease.port,
                                                   message: "port \(lease.port) has connections in TIME_WAIT; a server that sets SO_REUSEADDR (most do) can bind it now, others within a minute"))
                }
                if !service.shared { lease.ttl = ttl(of: lease) }
                if refresh(&lease, project: service.shared ? "" : manifest.project, manifest: manifest, now: now,
                           expiry: service.shared ? lease.expiresAt : lease.ttl.map { Timestamp.adding($0, to: now) }) {
                    changed = true
                }
                if lease != state.leases[position] { changed = true }
                state.leases[position] = lease
                report.assignments.append(assignment)
            } else {
                let chosen = try allocate(key, service, port)
                let lease = Lease(key: key, project: service.shared ? "" : manifest.project,
                                  manifest: service.shared ? "" : FileIO.join(manifest.root, FileIO.basename(manifest.path)),
                                  port: chosen, transport: service.transport, createdAt: now, refreshedAt: now,
                                  expiresAt: service.shared ? nil : ttl(of: nil).map { Timestamp.adding($0, to: now) }, ttl: service.shared ? nil : ttl(of: nil),
                                  preferred: port.preferred)
                allocator?.held[chosen] = lease
                index[key] = state.leases.count
                state.leases.append(lease)
                report.assignments.append(Assignment(service: service.name, portName: port.name, env: port.env, port: chosen,
                                                     status: .new, previousPort: nil, shared: service.shared, occupant: nil))
                changed = true
            }
        }
        report.assignments.sort { ($0.service, $0.portName) < ($1.service, $1.portName) }
        report.ledgerChanged = changed
        report.pendingMoves = wanted.contains { index[$0.key].map { !state.leases[$0].retiredPorts.isEmpty } ?? false }
        return report
    }

    /// Renews `lease` when due; true when it changed.
    private func refresh(_ lease: inout Lease, project: String, manifest: Manifest, now: Int64, expiry: Int64?) -> Bool {
        let manifestPath = lease.isShared ? lease.manifest : FileIO.join(manifest.root, FileIO.basename(manifest.path))
        let stale = now - lease.refreshedAt >= Self.refreshInterval
        let expiryMoved: Bool
        switch (lease.expiresAt, expiry) {
        case (nil, nil): expiryMoved = false
        case let (old?, new?):
            // Short TTLs are renewed more eagerly: never let a lease lose more than a quarter of its life.
            let slack = min(Self.refreshInterval, max(0, (new - now) / 4))
            expiryMoved = old <= now || abs(new - old) > slack
        default: expiryMoved = true
        }
        guard stale || expiryMoved || lease.project != project || lease.manifest != manifestPath else { return false }
        lease.refreshedAt = now
        lease.expiresAt = expiry
        lease.project = project
        lease.manifest = manifestPath
        return true
    }

    private func conflict(label: String, port: Int, occupant: PortOccupant) -> Finding {
        var step = "run `styxy resolve --reassign` to move \(label) to a free port"
        if let holder = occupant.holders.first {
            step = "stop PID \(holder.pid) (`kill \(holder.pid)`), or " + step
        }
        return Finding(severity: .conflict, service: label, port: port,
                       message: "port \(port), leased to \(label), is held by \(occupant.description) (\(occupant.holderClass.label))",
                       nextStep: step)
    }
}
