import StyxyCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every lease in one state home, with the generation that counts its writes.
public struct LedgerState: Sendable, Equatable {
    public static let schemaVersion = 1

    public var generation: Int
    public var leases: [Lease]
    /// The file this state was read from, so writing it back copies the bytes of every lease
    /// that did not change (`LedgerCodec.encode`); not part of the state's value.
    var source: LedgerSource?

    public init(generation: Int = 0, leases: [Lease] = []) {
        self.generation = generation
        self.leases = leases
    }

    public static func == (a: LedgerState, b: LedgerState) -> Bool {
        a.generation == b.generation && a.leases == b.leases
    }

    /// Only the leases of `root` and the shared ones. Roots match as bytes, as keys do: `é` and
    /// `e` + U+0301 name two folders, which Swift's `==` would take for one.
    func focused(on root: String) -> LedgerState {
        let own = LeaseKey.Owner.project(root: root)
        return LedgerState(generation: generation, leases: leases.filter { $0.key.owner == own || $0.isShared })
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
/// Fail-closed: a ledger that does not parse, that a newer Styxy wrote, that is not a regular file
/// (a folder, a FIFO, a link, dangling or not), or that is missing while `ledger.json.bak` or
/// another `ledger.json.*` file shows there was one, is never read as empty and never
/// overwritten; the error names the file and `styxy doctor --repair`. Only a state home without
/// any of them holds a fresh, empty ledger.
public struct Ledger: Sendable {
    public let home: StateHome

    public init(home: StateHome) {
        self.home = home
    }

    public func read() throws(StyxyError) -> LedgerState {
        try read(focus: nil)
    }

    /// The leases of one project root and the shared ones; the rest of the file is checked but
    /// not kept, which is what a warm resolve of a big ledger spends its time on.
    public func read(focus root: String?) throws(StyxyError) -> LedgerState {
        switch try condition(focus: root) {
        case .fresh: return LedgerState()
        case .readable(let state): return state
        case .unusable(let error): throw error
        }
    }

    /// What the ledger file holds, as `doctor --repair` needs to tell it: failures to read the
    /// file (EIO, EACCES) throw, since a ledger that cannot be read is not known to be damaged.
    enum Condition {
        case fresh
        case readable(LedgerState)
        case unusable(StyxyError)
    }

    func condition(focus: String? = nil) throws(StyxyError) -> Condition {
        switch try Self.load(home.ledgerPath) {
        case .regular(let bytes): return Self.decode(bytes, path: home.ledgerPath, focus: focus)
        case .other(let kind): return .unusable(Self.damaged(home.ledgerPath, "it is \(kind), not a regular file"))
        case .missing:
            guard let evidence = FileIO.list(home.path).filter({ $0.hasPrefix("ledger.json.") }).min() else { return .fresh }
            return .unusable(Self.damaged(home.ledgerPath, "it is missing, but \(evidence) is there, so there was one"))
        }
    }

    /// Far beyond any real ledger (10,000 leases are about 3 MB), and a cap on what a planted
    /// file can make Styxy hold in memory.
    static let readLimit = 256 << 20

    /// What is at a ledger path.
    enum Entry {
        case missing
        case regular([UInt8])
        /// Anything but a regular file, named ("a folder"); never opened, so a FIFO cannot block.
        case other(String)
    }

    /// Looks before reading: `lstat` sees a link itself, and anything but a regular file is
    /// named without being opened.
    static func load(_ path: String) throws(StyxyError) -> Entry {
        var info = stat()
        if lstat(path, &info) != 0 {
            guard errno == ENOENT else { throw StyxyError(.ledgerIO, "cannot inspect the ledger: \(FileIO.errorText())", file: path) }
            return .missing
        }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else { return .other(FileIO.kindName(kind)) }
        do {
            guard let bytes = try FileIO.read(path, limit: readLimit) else { return .missing }
            return .regular(bytes)
        } catch {
            throw StyxyError(.ledgerIO, "cannot read the ledger: \(error.reason)", file: path)
        }
    }

    static func decode(_ bytes: [UInt8], path: String, focus: String? = nil) -> Condition {
        do {
            return .readable(try LedgerCodec.decode(bytes, focus: focus))
        } catch {
            switch error {
            case .newer(let version):
                return .unusable(StyxyError(
                    .ledgerIO, "the ledger was written by a newer Styxy (schema \(version); this one reads \(LedgerState.schemaVersion)); it was left untouched",
                    file: path, hint: "upgrade styxy, or run `styxy doctor --repair` to restore the last generation this version can read"))
            case .damaged(let what):
                return .unusable(damaged(path, what))
            }
        }
    }

    static func damaged(_ path: String, _ what: String) -> StyxyError {
        StyxyError(.ledgerIO, "the ledger is damaged (\(what)); it was left untouched", file: path,
                   hint: "run `styxy doctor --repair` to restore the last good generation")
    }

    /// Replaces the ledger with `state` (generation bumped). Call only while holding the lock.
    ///
    /// The current generation becomes the backup first (a hard link renamed over
    /// `ledger.json.bak`, so it is never copied or torn), and only then is the new one renamed
    /// over `ledger.json`. So any failure, at either step, leaves `ledger.json` as it was, and
    /// the error says so; at worst the backup then equals the ledger.
    public func write(_ state: LedgerState, lock: LedgerLock) throws(StyxyError) {
        precondition(lock.isHeld, "the ledger is written only under its lock")
        var next = state
        next.generation = state.generation < Int.max ? state.generation + 1 : Int.max
        let unchanged = "the ledger was left unchanged (generation \(state.generation))"
        let bytes: [UInt8]
        do {
            bytes = try LedgerCodec.encode(next)
        } catch {
            throw StyxyError(.ledgerIO, "refusing to write a ledger its reader would refuse: \(error); \(unchanged)", file: home.ledgerPath)
        }
        removeStrayTemporaryFiles()
        do {
            var info = stat()
            if lstat(home.ledgerPath, &info) == 0 {
                let pending = "\(home.backupPath).tmp-\(getpid())"
                unlink(pending)
                defer { unlink(pending) }
                if link(home.ledgerPath, pending) != 0 { throw FileIOError(path: pending, operation: "link", code: errno) }
                if rename(pending, home.backupPath) != 0 { throw FileIOError(path: home.backupPath, operation: "rename onto", code: errno) }
            }
            try DurableFile.replace(home.ledgerPath, with: bytes, mode: 0o600)
        } catch {
            throw StyxyError(.ledgerIO, "cannot write the ledger: \(error); \(unchanged)", file: home.ledgerPath,
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

    /// The backup generation, parsed with the same checks as the ledger; nil when there is none.
    public func readBackup() throws(StyxyError) -> LedgerState? {
        switch try Self.load(home.backupPath) {
        case .missing: return nil
        case .other(let kind): throw Self.damaged(home.backupPath, "it is \(kind), not a regular file")
        case .regular(let bytes):
            switch Self.decode(bytes, path: home.backupPath) {
            case .readable(let state): return state
            case .unusable(let error): throw error
            case .fresh: return nil
            }
        }
    }
}
