import StyxyCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    public let presence: @Sendable (String, Bool) -> Presence

    public init(ledger: Ledger, lockTimeout: Double, clock: @escaping @Sendable () -> Int64 = Timestamp.now,
                presence: @escaping @Sendable (String, Bool) -> Presence = presence(of:folder:)) {
        self.ledger = ledger
        self.lockTimeout = lockTimeout
        self.clock = clock
        self.presence = presence
    }

    /// What the file system says about a path a lease depends on.
    public enum Presence: Sendable, Equatable {
        case present
        /// `stat` says ENOENT or ENOTDIR, or a file stands where a folder must be.
        case gone
        /// Any other answer (EACCES, EIO, ELOOP, ...): the path may well be there.
        case unknown(Int32)
    }

    /// `stat`, classified; `folder` asks for a folder.
    public static func presence(of path: String, folder: Bool) -> Presence {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            return code == ENOENT || code == ENOTDIR ? .gone : .unknown(code)
        }
        return !folder || info.st_mode & S_IFMT == S_IFDIR ? .present : .gone
    }

    /// Why a lease should go, or nil when it stays. Shared leases have no root and go only by
    /// expiry. Only a definite "not there" prunes: a root or manifest that cannot be looked at
    /// (an unmounted disk's EIO, a folder made unreadable) keeps its lease, since dropping it
    /// would hand a running project's port to someone else.
    public static func pruneReason(
        _ lease: Lease, now: Int64, presence: (String, Bool) -> Presence = presence(of:folder:)
    ) -> PruneReason? {
        if lease.isExpired(at: now) { return .expired }
        guard let root = lease.key.root else { return nil }
        if presence(root, true) == .gone { return .rootGone }
        if !lease.manifest.isEmpty && presence(lease.manifest, false) == .gone { return .manifestGone }
        return nil
    }

    public func prune(dryRun: Bool) throws(StyxyError) -> [(lease: Lease, reason: PruneReason)] {
        let now = clock()
        let doomed: ([Lease]) -> [(lease: Lease, reason: PruneReason)] = { leases in
            leases.compactMap { lease in Self.pruneReason(lease, now: now, presence: presence).map { (lease, $0) } }
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
