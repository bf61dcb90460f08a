import StyxyCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Ledger {
    public enum RepairOutcome: Sendable, Equatable {
        /// The ledger was readable (or there was none yet); nothing was touched.
        case healthy
        /// The backup was restored; the damaged ledger is kept at `keptAside` (nil when it was
        /// missing).
        case restoredBackup(keptAside: String?)
        /// There was no usable backup, so an explicit empty ledger was written. `backupProblem`
        /// says what was wrong with a backup that was there, and `backupKeptAside` where it went.
        case startedEmpty(keptAside: String?, backupProblem: String?, backupKeptAside: String?)
    }

    /// The one repair path, under the lock, in an order where a kill or a full disk at any step
    /// leaves either the repaired ledger or one that still reads as damaged:
    ///
    /// 1. a backup that cannot be used is moved aside (renamed, never deleted) and reported;
    /// 2. the damaged ledger is kept aside: a hard link when it is a regular file, so
    ///    `ledger.json` itself stays in place; anything else (a folder, a link) is renamed, and
    ///    the `ledger.json.damaged-*` name left behind keeps the home reading as damaged;
    /// 3. the backup's state, or an explicit empty ledger, is written to a temp file, fsynced,
    ///    renamed over `ledger.json`, and the folder fsynced.
    public func repair(timeout: Double, now: Int64) throws(StyxyError) -> RepairOutcome {
        try home.prepare(create: true)
        let lock = try LedgerLock.acquire(path: home.lockPath, timeout: timeout)
        defer { lock.release() }
        guard case .unusable = try condition() else { return .healthy }
        let stamp = Timestamp.format(now).filter { $0 != ":" }

        var restored: LedgerState?
        var backupProblem: String?
        var backupAside: String?
        do {
            restored = try readBackup()
        } catch {
            backupProblem = error.diagnostics.first?.message ?? error.description
            backupAside = try keepAside(home.backupPath, as: "ledger.json.bak.damaged-\(stamp)", move: true)
        }

        let ledgerAside = try keepAside(home.ledgerPath, as: "ledger.json.damaged-\(stamp)", move: false)
        let bytes: [UInt8]
        do {
            bytes = try LedgerCodec.encode(restored ?? LedgerState())
        } catch {
            throw StyxyError(.ledgerIO, "cannot restore the backup: \(error)", file: home.backupPath)
        }
        do {
            try DurableFile.replace(home.ledgerPath, with: bytes, mode: 0o600)
        } catch {
            throw StyxyError(.ledgerIO, "cannot write the repaired ledger: \(error); the damaged one is still in place",
                             file: home.ledgerPath, hint: "free some space in \(home.path), then run `styxy doctor --repair` again")
        }
        if restored != nil { return .restoredBackup(keptAside: ledgerAside) }
        return .startedEmpty(keptAside: ledgerAside, backupProblem: backupProblem, backupKeptAside: backupAside)
    }

    /// Keeps what is at `path` under a new name in the state home that no earlier repair used
    /// (`name`, `name-2`, ...), and returns that path; nil when nothing is there. A regular file
    /// is hard-linked unless `move`, so it also stays where it is; anything else is renamed.
    private func keepAside(_ path: String, as name: String, move: Bool) throws(StyxyError) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        let regular = info.st_mode & S_IFMT == S_IFREG
        var serial = 1
        while true {
            let aside = FileIO.join(home.path, serial == 1 ? name : "\(name)-\(serial)")
            // Only lock holders make these names, and this one holds the lock: a name that is
            // free now stays free until the link or rename below.
            if lstat(aside, &info) == 0 {
                serial += 1
                continue
            }
            let done = errno == ENOENT ? (regular && !move ? link(path, aside) : rename(path, aside)) : -1
            guard done == 0 else {
                throw StyxyError(.ledgerIO, "cannot keep \(FileIO.basename(path)) aside as \(FileIO.basename(aside)): \(FileIO.errorText()); the ledger was not touched",
                                 file: path, hint: "check free space and permissions of \(home.path)")
            }
            DurableFile.syncDirectory(home.path)
            return aside
        }
    }
}
