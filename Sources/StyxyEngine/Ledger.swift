import StyxyCore

#if canImport(Glibc)
import Glibc
#endif

/// Every lease in one state home, with the generation that counts its writes.
public struct LedgerState: Sendable, Equatable {
    public static let schemaVersion = 1

    public var generation: Int
    public var leases: [Lease]

    public init(generation: Int = 0, leases: [Lease] = []) {
        self.generation = generation
        self.leases = leases
    }

    /// Only the leases of `root` and the shared ones.
    func focused(on root: String) -> LedgerState {
        LedgerState(generation: generation, leases: leases.filter { $0.key.root == root || $0.isShared })
    }

    public func lease(for key: LeaseKey) -> Lease? {
        leases.first { $0.key == key }
    }

    /// Ports held by live leases, with the lease holding each.
    public func heldPorts(at now: Int64) -> [Int: Lease] {
        var result: [Int: Lease] = [:]
        for lease in leases where !lease.isExpired(at: now) {
            for port in lease.heldPorts { result[port] = lease }
        }
        return result
    }

}

/// The ledger file: read without a lock (a rename makes every version whole), written only under
/// `LedgerLock`, durably, keeping the previous good generation as `ledger.json.bak`.
///
/// Fail-closed: a ledger that does not parse, or that a newer Styxy wrote, is never overwritten;
/// the error names the file and `styxy doctor --repair`.
public struct Ledger: Sendable {
    public let home: StateHome

    public init(home: StateHome) {
        self.home = home
    }

    public func read() throws(StyxyError) -> LedgerState {
        try Self.decode(path: home.ledgerPath)
    }

    /// The leases of one project root and the shared ones; the rest of the file is checked but
    /// not kept, which is what a warm resolve of a big ledger spends its time on.
    public func read(focus root: String) throws(StyxyError) -> LedgerState {
        try Self.decode(path: home.ledgerPath, focus: root)
    }

    static func decode(path: String, focus: String? = nil) throws(StyxyError) -> LedgerState {
        let bytes: [UInt8]?
        do {
            bytes = try FileIO.read(path)
        } catch {
            throw StyxyError(.ledgerIO, "cannot read the ledger: \(FileIO.errorText(error.code))", file: path)
        }
        guard let bytes else { return LedgerState() }
        return try decode(bytes, path: path, focus: focus)
    }

    static func decode(_ bytes: [UInt8], path: String, focus: String? = nil) throws(StyxyError) -> LedgerState {
        do {
            return try LedgerCodec.decode(bytes, focus: focus)
        } catch {
            switch error {
            case .newer(let version):
                throw StyxyError(.ledgerIO, "the ledger was written by a newer Styxy (schema \(version); this one reads \(LedgerState.schemaVersion)); it was left untouched",
                                 file: path, hint: "upgrade styxy, or run `styxy doctor --repair` to restore the last generation this version can read")
            case .damaged(let what):
                throw StyxyError(.ledgerIO, "the ledger is damaged (\(what)); it was left untouched", file: path,
                                 hint: "run `styxy doctor --repair` to restore the last good generation")
            }
        }
    }

    /// Replaces the ledger with `state` (generation bumped). Call only while holding the lock.
    public func write(_ state: LedgerState, lock: LedgerLock) throws(StyxyError) {
        precondition(lock.isHeld, "the ledger is written only under its lock")
        var next = state
        next.generation = state.generation < Int.max ? state.generation + 1 : Int.max
        let bytes: [UInt8]
        do {
            bytes = try LedgerCodec.encode(next)
        } catch {
            throw StyxyError(.ledgerIO, "refusing to write a ledger its reader would refuse: \(error); the ledger was left unchanged (generation \(state.generation))",
                             file: home.ledgerPath)
        }
        removeStrayTemporaryFiles()
        // The current ledger becomes the backup by a hard link, so it is never copied or torn; the
        // link is put in place only once the new generation is written, so a failed write leaves
        // the backup one generation back as it was.
        let pending = "\(home.backupPath).tmp-\(getpid())"
        do {
            let hadLedger = FileIO.exists(home.ledgerPath)
            if hadLedger {
                unlink(pending)
                if link(home.ledgerPath, pending) != 0 { throw FileIOError(path: pending, operation: "link", code: errno) }
            }
            defer { unlink(pending) }
            try DurableFile.replace(home.ledgerPath, with: bytes, mode: 0o600)
            if hadLedger, rename(pending, home.backupPath) != 0 {
                throw FileIOError(path: home.backupPath, operation: "rename onto", code: errno)
            }
        } catch {
            throw StyxyError(.ledgerIO, "cannot write the ledger: \(error)", file: home.ledgerPath,
                             hint: "check free space and permissions of \(home.path)")
        }
    }

    /// Temp files of writers killed mid-write. Only the lock holder writes, so under the lock every
    /// such file is an orphan.
    private func removeStrayTemporaryFiles() {
        for name in FileIO.list(home.path) where name.hasPrefix(".ledger.json.tmp-") || name.hasPrefix("ledger.json.bak.tmp-") {
            unlink(FileIO.join(home.path, name))
        }
    }

    /// Runs `body` under the exclusive lock with the current state, and writes what it returns
    /// when that differs. The state is read after the lock is taken, so no update is lost.
    public func update<T>(
        timeout: Double, _ body: (inout LedgerState) throws(StyxyError) -> T
    ) throws(StyxyError) -> T {
        try home.prepare(create: true)
        let lock = try LedgerLock.acquire(path: home.lockPath, timeout: timeout)
        defer { lock.release() }
        let before = try read()
        var state = before
        let result = try body(&state)
        if state != before { try write(state, lock: lock) }
        return result
    }
}

// MARK: - Repair

extension Ledger {
    public enum RepairOutcome: Sendable, Equatable {
        /// The ledger was readable; nothing was touched.
        case healthy
        /// The damaged file was moved aside and the backup restored.
        case restoredBackup(movedAside: String)
        /// Neither file was usable: the damaged file was moved aside and an empty ledger started.
        case startedEmpty(movedAside: String?)
    }

    /// The one repair path: under the lock, move a damaged or too-new ledger aside (never delete
    /// it) and restore the last good generation, or start empty when there is none.
    public func repair(timeout: Double, now: Int64) throws(StyxyError) -> RepairOutcome {
        try home.prepare(create: true)
        let lock = try LedgerLock.acquire(path: home.lockPath, timeout: timeout)
        defer { lock.release() }
        do {
            _ = try read()
            return .healthy
        } catch {}
        let stamp = Timestamp.format(now).filter { $0 != ":" }
        let aside = "\(home.ledgerPath).damaged-\(stamp)"
        if rename(home.ledgerPath, aside) != 0 {
            throw StyxyError(.ledgerIO, "cannot move the damaged ledger aside: \(FileIO.errorText())", file: home.ledgerPath)
        }
        DurableFile.syncDirectory(home.path)
        if let backup = try? Self.decode(path: home.backupPath), FileIO.exists(home.backupPath) {
            do {
                try DurableFile.replace(home.ledgerPath, with: try LedgerCodec.encode(backup), mode: 0o600)
            } catch {
                throw StyxyError(.ledgerIO, "cannot restore the backup: \(error)", file: home.ledgerPath)
            }
            return .restoredBackup(movedAside: aside)
        }
        return .startedEmpty(movedAside: aside)
    }
}

extension Ledger {
    /// The backup generation, parsed with the same checks as the ledger.
    public func readBackup() throws(StyxyError) -> LedgerState {
        try Self.decode(path: home.backupPath)
    }
}
