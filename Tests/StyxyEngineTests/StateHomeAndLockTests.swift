import Foundation
import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyProbe
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The state folder is trusted only when it is private, and the lock never hangs.
@Suite("State home and lock")
struct StateHomeAndLockTests {
    @Test func locateFollowsStyxyHomeThenXDGThenHome() throws {
        #expect(try StateHome.locate(environment: ["STYXY_HOME": "/s", "XDG_STATE_HOME": "/x", "HOME": "/h"]).path == "/s")
        #expect(try StateHome.locate(environment: ["XDG_STATE_HOME": "/x", "HOME": "/h"]).path == "/x/styxy")
        #expect(try StateHome.locate(environment: ["HOME": "/h"]).path == "/h/.local/state/styxy")
        #expect(try StateHome.locate(environment: ["STYXY_HOME": "", "HOME": "/h"]).path == "/h/.local/state/styxy")
        let error = #expect(throws: StyxyError.self) { try StateHome.locate(environment: [:]) }
        #expect(error?.exitStatus == .ledgerIO)
    }

    @Test func aMissingFolderIsCreatedOnlyWhenAsked() throws {
        let s = try EngineSandbox()
        let home = StateHome(path: s.root + "/later")
        try home.prepare(create: false)
        #expect(!FileManager.default.fileExists(atPath: home.path))
        // Reads of a state home that does not exist yet see an empty ledger and create nothing.
        #expect(try Ledger(home: home).read().leases.isEmpty)
        try home.prepare(create: true)
        #expect(mode(of: home.path) == 0o700)
    }

    @Test(arguments: [mode_t(0o770), 0o707, 0o777, 0o720])
    func aFolderWritableByOthersIsRefused(permissions: mode_t) throws {
        let s = try EngineSandbox()
        let m = try s.manifest("shop", oneService("dev"))
        try s.resolve(m)
        let bytes = s.ledgerBytes()
        #expect(chmod(s.home.path, permissions) == 0)
        defer { chmod(s.home.path, 0o700) }
        for attempt in [{ try s.home.prepare(create: true) }, { try s.resolve(try s.manifest("other", oneService("dev"))) },
                        { _ = try s.maintenance().prune(dryRun: true) }] as [() throws -> Void] {
            let error = #expect(throws: StyxyError.self) { try attempt() }
            #expect(error?.exitStatus == .ledgerIO)
            let text = error?.description ?? ""
            #expect(text.contains("writable by group or others") && text.contains(s.home.path), "\(text)")
            #expect(text.contains("chmod 700"), "\(text)")
        }
        #expect(s.ledgerBytes() == bytes)
    }

    @Test(.enabled(if: geteuid() == 0, "only root can give a folder to another user"))
    func aFolderOwnedByAnotherUserIsRefused() throws {
        let s = try EngineSandbox()
        #expect(chown(s.home.path, 65534, 65534) == 0)
        defer { chown(s.home.path, 0, 0) }
        let error = #expect(throws: StyxyError.self) { try s.resolve(try s.manifest("shop", oneService("dev"))) }
        #expect(error?.exitStatus == .ledgerIO)
        #expect(error?.description.contains("belongs to user 65534") == true, "\(error?.description ?? "")")
        #expect(s.ledgerBytes() == nil)
    }

    @Test func aSymbolicLinkIsRefused() throws {
        let s = try EngineSandbox()
        let link = s.root + "/link"
        #expect(symlink(s.home.path, link) == 0)
        let home = StateHome(path: link)
        let error = #expect(throws: StyxyError.self) { try home.prepare(create: true) }
        #expect(error?.exitStatus == .ledgerIO)
        #expect(error?.description.contains("symbolic link") == true)
        let resolver = Resolver(ledger: Ledger(home: home), probe: s.probe, catalog: s.catalog, lockTimeout: 1, clock: s.clock.function)
        #expect(throws: StyxyError.self) { try resolver.resolve(try s.manifest("shop", oneService("dev")), options: ResolveOptions()) }
        #expect(s.ledgerBytes() == nil, "nothing was written through the link")
    }

    @Test func aFileInPlaceOfTheFolderIsRefused() throws {
        let s = try EngineSandbox()
        let path = s.root + "/file"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
        let error = #expect(throws: StyxyError.self) { try StateHome(path: path).prepare(create: true) }
        #expect(error?.exitStatus == .ledgerIO)
    }

    @Test func aLockHeldPastTheTimeoutIsExit75NamingTheHolder() throws {
        let s = try EngineSandbox()
        let held = try LedgerLock.acquire(path: s.home.lockPath, timeout: 1)
        #expect(held.isHeld)
        let text = try #require(try FileIO.readString(s.home.lockPath))
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == String(getpid()), "the holder writes its PID")

        let started = Date()
        let error = #expect(throws: StyxyError.self) { _ = try LedgerLock.acquire(path: s.home.lockPath, timeout: 0.2) }
        let waited = Date().timeIntervalSince(started)
        #expect(error?.exitStatus == .lockTimeout)
        #expect(ExitStatus.lockTimeout.rawValue == 75)
        let message = error?.description ?? ""
        #expect(message.contains("PID \(getpid())"), "\(message)")
        #expect(message.contains(s.home.lockPath), "\(message)")
        #expect(waited >= 0.19 && waited < 5, "waited \(waited)s")

        held.release()
        #expect(!held.isHeld)
        let next = try LedgerLock.acquire(path: s.home.lockPath, timeout: 0.2)
        next.release()
    }

    @Test func aResolveThatMustWriteTimesOutWithTheLedgerUnchanged() throws {
        let s = try EngineSandbox()
        try s.resolve(try s.manifest("a", oneService("dev")))
        let bytes = s.ledgerBytes()
        let held = try LedgerLock.acquire(path: s.home.lockPath, timeout: 1)
        defer { held.release() }
        let m = try s.manifest("b", oneService("dev"))
        let error = #expect(throws: StyxyError.self) { try s.resolver(lockTimeout: 0.2).resolve(m, options: ResolveOptions()) }
        #expect(error?.exitStatus == .lockTimeout)
        #expect(error?.description.contains("PID \(getpid())") == true)
        let prune = #expect(throws: StyxyError.self) {
            try FileManager.default.removeItem(atPath: s.projectRoot("a"))
            _ = try s.maintenance(lockTimeout: 0.2).prune(dryRun: false)
        }
        #expect(prune?.exitStatus == .lockTimeout)
        #expect(s.ledgerBytes() == bytes)
    }

    /// The holder is found in the kernel's lock table, not in the file: a holder that writes no
    /// PID (flock(1), a backup tool) is still named, and a stale PID never is.
    @Test func aLockFileWithoutAPidStillNamesTheRealHolder() throws {
        let s = try EngineSandbox()
        let fd = open(s.home.lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX) == 0)
        let error = #expect(throws: StyxyError.self) { _ = try LedgerLock.acquire(path: s.home.lockPath, timeout: 0.1) }
        #expect(error?.exitStatus == .lockTimeout)
        #expect(error?.description.contains("PID \(getpid())") == true, "\(error?.description ?? "")")
    }
}
