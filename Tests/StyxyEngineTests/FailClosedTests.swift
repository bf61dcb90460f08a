import Foundation
import StyxyCore
@testable import StyxyEngine
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// DESIGN §9, last paragraph: damaged state fails closed, always.
@Suite("Fail-closed state")
struct FailClosedTests {
    /// A sandbox whose ledger has two generations: projects a, then b (so the backup holds a).
    static func twoGenerations() throws -> EngineSandbox {
        let s = try EngineSandbox()
        try s.resolve(try s.manifest("a", oneService("dev")))
        try s.resolve(try s.manifest("b", oneService("dev")))
        return s
    }

    static func expectDamaged(_ s: EngineSandbox, saying says: String, _ comment: Comment? = nil) {
        let attempts: [(String, () throws -> Void)] = [
            ("read", { _ = try s.ledger.read() }),
            ("focused read", { _ = try s.ledger.read(focus: "/x") }),
            ("resolve", { try s.resolve(try s.manifest("c", oneService("dev"))) }),
            ("prune", { _ = try s.maintenance().prune(dryRun: false) }),
        ]
        for (what, attempt) in attempts {
            let error = #expect(throws: StyxyError.self, "\(what) \(comment?.rawValue ?? "")") { try attempt() }
            let text = error?.description ?? ""
            #expect(error?.exitStatus == .ledgerIO, "\(what): \(text)")
            #expect(text.contains(s.home.ledgerPath) && text.contains("styxy doctor --repair") && text.contains(says), "\(what): \(text)")
        }
    }

    // MARK: Reading

    @Test(arguments: ["ledger.json.bak", "ledger.json.damaged-20261129T000000Z", "ledger.json.bak.tmp-4242"])
    func aMissingLedgerBesideItsTracesIsDamagedNotEmpty(trace: String) throws {
        let s = try Self.twoGenerations()
        if trace != "ledger.json.bak" { #expect(rename(s.home.backupPath, FileIO.join(s.home.path, trace)) == 0) }
        #expect(unlink(s.home.ledgerPath) == 0)
        Self.expectDamaged(s, saying: "missing, but \(trace) is there")
        #expect(s.ledgerBytes() == nil, "nothing was written in its place")
        // Without the trace, it is a fresh state home again; other files do not count.
        #expect(rename(FileIO.join(s.home.path, trace), s.home.path + "/unrelated") == 0)
        #expect(try s.ledger.read() == LedgerState())
        #expect(try s.ledger.repair(timeout: 1, now: s.clock.now) == .healthy)
    }

    /// A link, dangling or not, a folder, a FIFO: named, never followed or opened (a FIFO would block the read).
    @Test(arguments: ["dangling link", "link to a good ledger", "folder", "fifo"])
    func aLedgerThatIsNotARegularFileIsDamaged(kind: String) throws {
        let s = try EngineSandbox()
        let elsewhere = s.root + "/elsewhere.json"
        switch kind {
        case "dangling link": #expect(symlink(s.root + "/nowhere", s.home.ledgerPath) == 0)
        case "link to a good ledger":
            try Data(try LedgerCodec.encode(LedgerState(generation: 4))).write(to: URL(fileURLWithPath: elsewhere))
            #expect(symlink(elsewhere, s.home.ledgerPath) == 0)
        case "folder": #expect(mkdir(s.home.ledgerPath, 0o700) == 0)
        default: #expect(mkfifo(s.home.ledgerPath, 0o600) == 0)
        }
        let expected = ["dangling link": "a symbolic link", "link to a good ledger": "a symbolic link", "folder": "a folder", "fifo": "a FIFO"][kind]!
        Self.expectDamaged(s, saying: "it is \(expected), not a regular file", "\(kind)")
        let elsewhereBytes = try? Data(contentsOf: URL(fileURLWithPath: elsewhere))

        // Repair renames the thing aside (a rename removes nothing) and writes a real ledger.
        guard case .startedEmpty(let aside?, nil, nil) = try s.ledger.repair(timeout: 1, now: s.clock.now) else {
            Issue.record("\(kind): expected an empty start with the old entry kept aside")
            return
        }
        var info = stat()
        #expect(lstat(aside, &info) == 0 && info.st_mode & S_IFMT != S_IFREG, "\(kind): the entry itself was kept aside")
        #expect(lstat(s.home.ledgerPath, &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
        #expect(try s.ledger.read() == LedgerState())
        #expect((try? Data(contentsOf: URL(fileURLWithPath: elsewhere))) == elsewhereBytes, "nothing was written through the link")
    }

    // MARK: Writing

    /// The backup used to be renamed into place after the new ledger: with `ledger.json.bak` a
    /// folder, a resolve said "cannot write" yet the ledger had changed.
    @Test func aFailedWriteLeavesThePreviousLedgerAndSaysSo() throws {
        let s = try Self.twoGenerations()
        #expect(unlink(s.home.backupPath) == 0 && mkdir(s.home.backupPath, 0o700) == 0)
        let bytes = try #require(s.ledgerBytes())
        let error = #expect(throws: StyxyError.self) { try s.resolve(try s.manifest("c", oneService("dev"))) }
        #expect(error?.exitStatus == .ledgerIO)
        #expect(error?.description.contains("the ledger was left unchanged (generation 2)") == true, "\(error?.description ?? "")")
        #expect(s.ledgerBytes() == bytes, "ledger.json is still generation 2")
        #expect(FileIO.list(s.home.path).sorted() == ["ledger.json", "ledger.json.bak", "ledger.lock"], "no temp file is left")
    }

    /// State writes replace names inside the home; none goes through a link planted there.
    @Test func stateWritesFollowNoLinkOutOfTheHome() throws {
        let s = try Self.twoGenerations()
        let outside = s.root + "/outside"
        try Data("not Styxy's".utf8).write(to: URL(fileURLWithPath: outside))
        #expect(unlink(s.home.backupPath) == 0 && symlink(outside, s.home.backupPath) == 0)
        try s.resolve(try s.manifest("c", oneService("dev")))
        var info = stat()
        #expect(lstat(s.home.backupPath, &info) == 0 && info.st_mode & S_IFMT == S_IFREG, "the link itself was replaced")
        #expect(unlink(s.home.lockPath) == 0 && symlink(outside, s.home.lockPath) == 0)
        let error = #expect(throws: StyxyError.self) { try s.resolve(try s.manifest("d", oneService("dev"))) }
        #expect(error?.exitStatus == .ledgerIO)
        #expect(try FileIO.readString(outside) == "not Styxy's")
    }

    // MARK: Repair

    @Test func repairKeepsTheDamagedFileAsALinkAndNeverRemovesLedgerJSON() throws {
        let s = try Self.twoGenerations()
        try s.writeLedger("{\"format\": \"styxy-ledger\", \"sch")
        let damagedInode = Self.inode(s.home.ledgerPath)
        guard case .restoredBackup(let aside?) = try s.ledger.repair(timeout: 1, now: s.clock.now) else {
            Issue.record("expected the backup to be restored")
            return
        }
        #expect(Self.inode(aside) == damagedInode, "the damaged file itself is kept, by a link made before anything else")
        #expect(Self.inode(s.home.ledgerPath) != damagedInode, "the restored ledger was renamed over it")
        #expect(try s.ledger.read().leases.map(\.project) == ["a"])
        // A second repair the same second does not overwrite the first one's aside file.
        try s.writeLedger("also damaged")
        guard case .restoredBackup(let second?) = try s.ledger.repair(timeout: 1, now: s.clock.now) else {
            Issue.record("expected the backup to be restored again")
            return
        }
        #expect(second == aside + "-2")
        #expect(try FileIO.readString(aside) == "{\"format\": \"styxy-ledger\", \"sch")
    }

    @Test func repairOfAMissingLedgerRestoresTheBackup() throws {
        let s = try Self.twoGenerations()
        #expect(unlink(s.home.ledgerPath) == 0)
        #expect(try s.ledger.repair(timeout: 1, now: s.clock.now) == .restoredBackup(keptAside: nil))
        #expect(try s.ledger.read().leases.map(\.project) == ["a"])
    }

    /// An unreadable backup is reported and kept, never silently replaced; the new ledger is an
    /// explicit, empty file.
    @Test func aDamagedBackupIsReportedAndKeptAside() throws {
        let s = try Self.twoGenerations()
        try s.writeLedger("damaged")
        try Data("also damaged".utf8).write(to: URL(fileURLWithPath: s.home.backupPath))
        guard case .startedEmpty(let aside?, let problem?, let backupAside?) = try s.ledger.repair(timeout: 1, now: s.clock.now) else {
            Issue.record("expected an empty start that reports the backup")
            return
        }
        #expect(problem.contains("damaged"), "\(problem)")
        #expect(backupAside.hasPrefix(s.home.backupPath + ".damaged-"))
        #expect(try FileIO.readString(backupAside) == "also damaged")
        #expect(try FileIO.readString(aside) == "damaged")
        #expect(try LedgerCodec.decode(try #require(s.ledgerBytes())) == LedgerState(), "an explicit empty ledger file")
        #expect(!FileManager.default.fileExists(atPath: s.home.backupPath))
    }

    /// Whatever step a repair stops at, the state home reads as damaged or as repaired, never as
    /// a fresh empty ledger: each intermediate state of the sequence, laid out by hand.
    @Test func everyStepOfARepairReadsAsDamagedOrRepaired() throws {
        for step in ["backup moved aside", "ledger linked aside", "non-regular ledger renamed aside", "temp file written"] {
            let s = try Self.twoGenerations()
            let home = s.home.path
            try s.writeLedger("damaged")
            switch step {
            case "backup moved aside": #expect(rename(s.home.backupPath, home + "/ledger.json.bak.damaged-x") == 0)
            case "ledger linked aside": #expect(link(s.home.ledgerPath, home + "/ledger.json.damaged-x") == 0)
            case "non-regular ledger renamed aside":
                #expect(unlink(s.home.ledgerPath) == 0 && mkdir(s.home.ledgerPath, 0o700) == 0)
                #expect(rename(s.home.ledgerPath, home + "/ledger.json.damaged-x") == 0)
            default: #expect(FileManager.default.createFile(atPath: home + "/.ledger.json.tmp-1-1", contents: Data("{}".utf8)))
            }
            #expect(throws: StyxyError.self, "\(step)") { _ = try s.ledger.read() }
            #expect(try s.ledger.repair(timeout: 1, now: s.clock.now) != .healthy, "\(step)")
            #expect(try s.ledger.read().generation >= 0, "\(step): repaired")
        }
    }

    // MARK: Prune

    /// "Cannot tell" is not "gone": only ENOENT and ENOTDIR prune.
    @Test(arguments: [EACCES, EIO, ELOOP, ENAMETOOLONG])
    func pruneKeepsALeaseWhosePathsCannotBeLookedAt(code: Int32) throws {
        let s = try EngineSandbox()
        let m = try s.manifest("shop", oneService("dev"))
        try s.resolve(m)
        let unknown = LeaseMaintenance(ledger: s.ledger, lockTimeout: 1, clock: s.clock.function) { path, _ in
            path.hasPrefix(m.root) ? .unknown(code) : .present
        }
        #expect(try unknown.prune(dryRun: false).isEmpty)
        #expect(try s.leases().count == 1)
        let gone = LeaseMaintenance(ledger: s.ledger, lockTimeout: 1, clock: s.clock.function) { _, _ in .gone }
        #expect(try gone.prune(dryRun: true).map(\.reason) == [.rootGone])
    }

    /// The same with the real file system: a root behind a symbolic-link loop (ELOOP even for root).
    @Test func pruneKeepsALeaseWhoseRootIsBehindALinkLoop() throws {
        let s = try EngineSandbox()
        let m = try s.manifest("shop", oneService("dev"))
        try s.resolve(m)
        let moved = s.root + "/moved"
        #expect(rename(m.root, moved) == 0 && symlink(m.root, m.root) == 0, "the root now loops onto itself")
        #expect(LeaseMaintenance.presence(of: m.root, folder: true) == .unknown(ELOOP))
        #expect(try s.maintenance().prune(dryRun: false).isEmpty)
        #expect(unlink(m.root) == 0)
        #expect(try s.maintenance().prune(dryRun: true).map(\.reason) == [.rootGone], "a root really gone still goes")
        #expect(LeaseMaintenance.presence(of: m.root + "/styxy.yaml", folder: false) == .gone)
        #expect(LeaseMaintenance.presence(of: moved + "/styxy.yaml/x", folder: false) == .gone, "ENOTDIR")
    }

    @Test(.enabled(if: geteuid() != 0, "root reads every folder"))
    func pruneKeepsALeaseWhoseRootCannotBeRead() throws {
        let s = try EngineSandbox()
        let m = try s.manifest("shop", oneService("dev"))
        try s.resolve(m)
        let parent = FileIO.directory(of: m.root)
        #expect(chmod(parent, 0o000) == 0)
        defer { chmod(parent, 0o755) }
        #expect(try s.maintenance().prune(dryRun: false).isEmpty)
    }

    // MARK: Spellings of the state home

    @Test(arguments: ["/", "/.", "//", "/./", "/x/..", "/../link"])
    func everySpellingOfALinkedStateHomeIsRefused(suffix: String) throws {
        let s = try EngineSandbox()
        let link = s.root + "/link"
        #expect(symlink(s.home.path, link) == 0 && mkdir(s.root + "/x", 0o700) == 0)
        let spelled = suffix == "/../link" ? s.root + "/x" + suffix : link + suffix
        let home = StateHome(path: spelled)
        #expect(home.path == link, "\(spelled) → \(home.path)")
        let error = #expect(throws: StyxyError.self, "\(spelled)") { try home.prepare(create: true) }
        #expect(error?.description.contains("symbolic link") == true, "\(spelled): \(error?.description ?? "")")
    }

    @Test func aRelativeOrDottedStateHomeIsMadeAbsoluteAndDotDotFollowsTheKernel() throws {
        let s = try EngineSandbox()
        #expect(StateHome(path: "//a//b/./c/").path == "/a/b/c")
        let cwd = FileIO.currentDirectory()
        #expect(StateHome(path: "rel/./state/").path == FileIO.join(cwd, "rel/state"))
        // a/link/.. is the folder above the link's target, as the kernel resolves it.
        #expect(mkdir(s.root + "/deep", 0o700) == 0 && mkdir(s.root + "/deep/target", 0o700) == 0)
        #expect(symlink(s.root + "/deep/target", s.root + "/hop") == 0)
        #expect(StateHome(path: s.root + "/hop/../state").path == s.root + "/deep/state")
        #expect(StateHome(path: "/").path == "/" && StateHome(path: "/..").path == "/")
    }

    static func inode(_ path: String) -> UInt64? {
        var info = stat()
        return lstat(path, &info) == 0 ? UInt64(info.st_ino) : nil
    }
}
