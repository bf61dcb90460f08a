import StyxyCore
import StyxyManifest
import StyxyProbe

extension Resolver {
    /// Changes `state` to what the manifest needs; pure but for the probe's bind tests. Each port
    /// the manifest declares gets a `LeaseDecision`, which `PlanExecutor` carries out and which
    /// explains itself as a finding. Only this project's and shared leases are looked at one by
    /// one; the rest of a large ledger is touched once (for expiry) and indexed only when a new
    /// port must be chosen.
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
        var report = ResolveReport(project: manifest.project, root: manifest.root, instance: options.instance,
                                   assignments: [], released: [], findings: [], ledgerChanged: false)
        var executor = PlanExecutor(manifest: manifest, options: options, now: now, probe: probe, snapshot: snapshot, catalog: catalog,
                                    avoid: Set(wanted.compactMap(\.port.preferred)))
        report.released = executor.take(state.leases, keeping: Set(wanted.map(\.key)))

        let occupants = try self.occupants(of: wanted, in: executor, snapshot: snapshot, root: manifest.root, everyone: everyone)
        // Ports with a preference of their own are placed first (see `PlanExecutor.avoid`).
        let ordered = wanted.filter { $0.port.preferred != nil } + wanted.filter { $0.port.preferred == nil }
        for (key, service, port) in ordered {
            let lease = executor.lease(for: key)
            let occupant = lease.flatMap { occupants[$0.port] }
            let decision = LeaseDecision(lease: lease, service: service, port: port, occupant: occupant,
                                         inTimeWait: lease.map { snapshot.hasTimeWait(UInt16($0.port)) } ?? false,
                                         reassign: options.reassign)
            let (assignment, finding) = try executor.apply(decision, key: key, service: service, port: port, occupant: occupant,
                                                           everyone: everyone)
            report.assignments.append(assignment)
            if let finding { report.findings.append(finding) }
        }
        state.leases = executor.leases
        report.assignments.sort { ($0.service, $0.portName) < ($1.service, $1.portName) }
        report.ledgerChanged = executor.changed
        report.pendingMoves = wanted.contains { executor.lease(for: $0.key).map { !$0.retiredPorts.isEmpty } ?? false }
        return report
    }

    /// Who listens on the ports this manifest's leases hold, classified. Other projects' roots are
    /// read (the whole ledger) only when some leased port has a listener.
    private func occupants(
        of wanted: [(key: LeaseKey, service: Service, port: NamedPort)], in executor: PlanExecutor, snapshot: PortSnapshot,
        root: String, everyone: () throws(StyxyError) -> [Lease]
    ) throws(StyxyError) -> [Int: PortOccupant] {
        let leased = wanted.compactMap { item in executor.lease(for: item.key).map { (port: $0.port, transport: item.service.transport) } }
        var known: [(root: String, name: String)] = []
        if leased.contains(where: { snapshot.isListening(UInt16($0.port), proto: $0.transport) }) {
            let roots = try everyone().compactMap { lease in lease.key.root.map { ($0, lease.project) } }
            known = Dictionary(roots, uniquingKeysWith: { a, _ in a }).map { (root: $0.key, name: $0.value) }
        }
        return HolderClassifier(probe: probe, snapshot: snapshot) { known }.occupants(of: leased, root: root)
    }
}

/// Carries out a plan's decisions on the leases it works on: creates, moves and renews leases,
/// choosing ports through an allocator built on the first port chosen (building it indexes every
/// lease in the ledger, which a warm resolve never needs).
struct PlanExecutor {
    let manifest: Manifest
    let options: ResolveOptions
    let now: Int64
    let probe: any PortProbe
    let snapshot: PortSnapshot
    let catalog: Catalog
    /// Every port some port of this manifest prefers: only that port may take it, whatever the
    /// order of the services.
    let avoid: Set<Int>
    /// The plan's leases; `index` finds the manifest's among them.
    private(set) var leases: [Lease] = []
    private(set) var index: [LeaseKey: Int] = [:]
    /// True once any lease was created, changed or dropped.
    private(set) var changed = false
    private(set) var allocator: PortAllocator?

    /// Where this manifest's leases record it.
    private var manifestPath: String { FileIO.join(manifest.root, FileIO.basename(manifest.path)) }

    func lease(for key: LeaseKey) -> Lease? {
        index[key].map { leases[$0] }
    }

    /// Takes `all` to work on, keeping the manifest's `wanted` leases and everyone else's live
    /// ones; returns this instance's leases the manifest no longer declares, which are released.
    /// Others' expired leases are dropped while we are here.
    mutating func take(_ all: [Lease], keeping wanted: Set<LeaseKey>) -> [Lease] {
        let own = LeaseKey.Owner.project(root: manifest.root)
        var released: [Lease] = []
        leases.reserveCapacity(all.count)
        for lease in all {
            let ours = lease.key.owner == own
            // Every wanted key of ours names this instance, so other instances' leases (most of a
            // matrix's) are told apart without hashing their keys.
            if (ours && lease.key.instance == options.instance || lease.isShared) && wanted.contains(lease.key) {
                index[lease.key] = leases.count
                leases.append(lease)
            } else if ours && lease.key.instance == options.instance {
                released.append(lease)
                changed = true
            } else if lease.isExpired(at: now) {
                changed = true
            } else {
                leases.append(lease)
            }
        }
        return released
    }

    /// Carries out `decision`, made from the lease at `key` (none for `.create`), and returns the
    /// port's assignment and what to tell the user.
    mutating func apply(
        _ decision: LeaseDecision, key: LeaseKey, service: Service, port: NamedPort, occupant: PortOccupant?,
        everyone: () throws(StyxyError) -> [Lease]
    ) throws(StyxyError) -> (Assignment, Finding?) {
        guard let position = index[key] else {
            return try create(key, service: service, port: port, everyone: everyone)
        }
        let before = leases[position]
        var lease = before
        var assignment = Assignment(service: service.name, portName: port.name, env: port.env, port: lease.port, status: .kept,
                                    previousPort: nil, shared: service.shared, occupant: occupant)
        var offered: Int?
        if case .move(let reason) = decision {
            let fresh = try choosePort(for: key, service: service, port: port, everyone: everyone).port
            offered = fresh
            if reason.takes(fresh) {
                // The first phase of a move: the new port, with the old one kept held (see settleMoves).
                lease.retiredPorts.append(lease.port)
                lease.port = fresh
                allocator?.held[fresh] = lease
                assignment.previousPort = assignment.port
                assignment.port = fresh
                assignment.status = .moved
                assignment.occupant = nil
            }
        }
        if decision.recordsPreference { lease.preferred = port.preferred }
        if !service.shared { lease.ttl = ttl(of: lease) }
        renew(&lease, project: service.shared ? "" : manifest.project,
              expiry: service.shared ? lease.expiresAt : lease.ttl.map { Timestamp.adding($0, to: now) })
        if lease != before {
            leases[position] = lease
            changed = true
        }
        return (assignment, decision.finding(label: service.label(of: port), port: before.port, offered: offered))
    }

    private mutating func create(
        _ key: LeaseKey, service: Service, port: NamedPort, everyone: () throws(StyxyError) -> [Lease]
    ) throws(StyxyError) -> (Assignment, Finding?) {
        let (chosen, skipped) = try choosePort(for: key, service: service, port: port, everyone: everyone)
        // A shared lease belongs to no project and lives until released.
        let ttl = service.shared ? nil : ttl(of: nil)
        let lease = Lease(key: key, project: service.shared ? "" : manifest.project, manifest: service.shared ? "" : manifestPath,
                          port: chosen, transport: service.transport, createdAt: now, refreshedAt: now,
                          expiresAt: ttl.map { Timestamp.adding($0, to: now) }, ttl: ttl, preferred: port.preferred)
        allocator?.held[chosen] = lease
        index[key] = leases.count
        leases.append(lease)
        changed = true
        let assignment = Assignment(service: service.name, portName: port.name, env: port.env, port: chosen,
                                    status: .new, previousPort: nil, shared: service.shared, occupant: nil)
        guard let preferred = port.preferred, let skipped else { return (assignment, nil) }
        return (assignment, LeaseDecision.preferenceFinding(label: service.label(of: port), preferred: preferred, got: chosen,
                                                            skip: skipped, occupant: skipped == .listening ? occupant(of: preferred, service) : nil))
    }

    /// Who listens on `port`, classified against this project and the projects of the ledger.
    private func occupant(of port: Int, _ service: Service) -> PortOccupant? {
        let known = (allocator?.held.holders).map { leases in
            Dictionary(leases.compactMap { lease in lease.key.root.map { ($0, lease.project) } }, uniquingKeysWith: { a, _ in a })
                .map { (root: $0.key, name: $0.value) }
        } ?? []
        return HolderClassifier(probe: probe, snapshot: snapshot) { known }
            .occupants(of: [(port: port, transport: service.transport)], root: manifest.root)[port]
    }

    /// A port for a new or moving lease. The allocator is built on the first call, from every
    /// lease (`everyone`, read only then) overlaid with this plan's own.
    private mutating func choosePort(
        for key: LeaseKey, service: Service, port: NamedPort, everyone: () throws(StyxyError) -> [Lease]
    ) throws(StyxyError) -> (port: Int, skippedPreference: PortAllocator.Skip?) {
        var allocator: PortAllocator
        if let built = self.allocator {
            allocator = built
        } else {
            var held = HeldPorts()
            held.add(liveOf: try everyone(), at: now)
            held.add(liveOf: leases, at: now)
            allocator = PortAllocator(probe: probe, snapshot: snapshot, catalog: catalog, held: held)
            allocator.avoid = avoid
        }
        // Taken out while it works, so its `held` table grows in place instead of being copied.
        self.allocator = nil
        defer { self.allocator = allocator }
        return try allocator.allocate(for: key, service: service, port: port)
    }

    private func ttl(of lease: Lease?) -> Int64? {
        switch options.ttl {
        case .keep: return lease?.ttl
        case .set(let seconds): return Lease.clampedTTL(seconds)
        case .clear: return nil
        }
    }

    /// Renews `lease` when due: its refresh time, expiry, project name and manifest path.
    private func renew(_ lease: inout Lease, project: String, expiry: Int64?) {
        let manifestPath = lease.isShared ? lease.manifest : self.manifestPath
        let stale = now - lease.refreshedAt >= Resolver.refreshInterval
        let expiryMoved: Bool
        switch (lease.expiresAt, expiry) {
        case (nil, nil): expiryMoved = false
        case let (old?, new?):
            // Short TTLs are renewed more eagerly: never let a lease lose more than a quarter of its life.
            let slack = min(Resolver.refreshInterval, max(0, (new - now) / 4))
            expiryMoved = old <= now || abs(new - old) > slack
        default: expiryMoved = true
        }
        guard stale || expiryMoved || lease.project != project || lease.manifest != manifestPath else { return }
        lease.refreshedAt = now
        lease.expiresAt = expiry
        lease.project = project
        lease.manifest = manifestPath
    }
}
