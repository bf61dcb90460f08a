import StyxyCore

/// Ledger chores that need no manifest: pruning and releasing.
public struct LeaseMaintenance: Sendable {
    public enum PruneReason: String, Sendable {
        case expired
        case rootGone = "project folder gone"
        case manifestGone = "manifest gone"
    }

    public let ledger: Ledger
    public let lockTimeout: Double
    public let clock: @Sendable () -> Int64

    public init(ledger: Ledger, lockTimeout: Double, clock: @escaping @Sendable () -> Int64 = Timestamp.now) {
        self.ledger = ledger
        self.lockTimeout = lockTimeout
        self.clock = clock
    }

    /// Why a lease should go, or nil when it stays. Shared leases have no root and go only by expiry.
    public static func pruneReason(_ lease: Lease, now: Int64) -> PruneReason? {
        if lease.isExpired(at: now) { return .expired }
        if lease.isShared { return nil }
        if !FileIO.isDirectory(lease.key.root) { return .rootGone }
        if !lease.manifest.isEmpty && !FileIO.exists(lease.manifest) { return .manifestGone }
        return nil
    }

    public func prune(dryRun: Bool) throws(StyxyError) -> [(lease: Lease, reason: PruneReason)] {
        let now = clock()
        let doomed: ([Lease]) -> [(lease: Lease, reason: PruneReason)] = { leases in
            leases.compactMap { lease in Self.pruneReason(lease, now: now).map { (lease, $0) } }
        }
        try ledger.home.prepare(create: false)
        if dryRun { return doomed(try ledger.read().leases) }
        // Cheap look first: most prunes find nothing and need no lock.
        if doomed(try ledger.read().leases).isEmpty { return [] }
        return try ledger.update(timeout: lockTimeout) { (state: inout LedgerState) throws(StyxyError) in
            let found = doomed(state.leases)
            let keys = Set(found.map(\.lease.key))
            state.leases.removeAll { keys.contains($0.key) }
            return found
        }
    }

    /// Removes the leases `matches` selects and returns them.
    public func release(where matches: @escaping (Lease) -> Bool) throws(StyxyError) -> [Lease] {
        try ledger.home.prepare(create: false)
        if !(try ledger.read().leases.contains(where: matches)) { return [] }
        return try ledger.update(timeout: lockTimeout) { (state: inout LedgerState) throws(StyxyError) in
            let gone = state.leases.filter(matches)
            state.leases.removeAll(where: matches)
            return gone
        }
    }
}
