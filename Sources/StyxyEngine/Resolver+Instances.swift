import StyxyCore
import StyxyManifest

extension Resolver {
    /// Leases several instances of one manifest in one transaction, for `matrix`: one socket-table
    /// read, one lock hold, one ledger read and at most one durable write, where resolving the
    /// instances one by one paid a lock, a read and a write of the whole ledger each. Every port is
    /// still bind-tested as `resolve` does.
    ///
    /// Each instance is planned on the state the ones before it left, so their ports stay
    /// disjoint, and its moves are settled at once: nothing has been written that names the old
    /// ports, as with `resolve` followed by `settleMoves` for an instance that renders nothing.
    /// When an instance fails (no free port), the ones before it are written all the same, as they
    /// were when each had a transaction of its own, and then its error is thrown.
    public func resolve(_ manifest: Manifest, instances: [ResolveOptions]) throws(StyxyError) -> [ResolveReport] {
        try ledger.home.prepare(create: false)
        let snapshot = try takeSnapshot(for: manifest)
        // The lock-free first look of `resolve`: when no instance changes anything, nothing is locked or written.
        var draft = try ledger.read(focus: manifest.root)
        var everyone: [Lease]?
        var unchanged: [ResolveReport] = []
        for options in instances {
            let report = try plan(manifest, state: &draft, snapshot: snapshot, options: options) { () throws(StyxyError) -> [Lease] in
                if let everyone { return everyone }
                let all = try ledger.read().leases
                everyone = all
                return all
            }
            guard !report.ledgerChanged else { break }
            unchanged.append(report)
        }
        if unchanged.count == instances.count { return unchanged }

        var failure: StyxyError?
        let reports = try ledger.update(timeout: lockTimeout) { (state: inout LedgerState) throws(StyxyError) -> [ResolveReport] in
            var reports: [ResolveReport] = []
            for options in instances {
                let all = state.leases
                var next = state
                do throws(StyxyError) {
                    let report = try plan(manifest, state: &next, snapshot: snapshot, options: options) { () throws(StyxyError) -> [Lease] in all }
                    if report.pendingMoves {
                        Self.settle(&next, keys: Set(Self.wantedKeys(manifest, instance: options.instance).map(\.key)))
                    }
                    reports.append(report)
                    state = next
                } catch {
                    failure = error
                    break
                }
            }
            return reports
        }
        if let failure { throw failure }
        return reports
    }
}
