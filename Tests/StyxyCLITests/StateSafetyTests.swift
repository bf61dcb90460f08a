import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Bad state never costs a lease: each case is a clear error with its exit code and the ledger
/// bytes unchanged.
@Suite("Unsafe or damaged state")
struct StateSafetyTests {
    static let web = "services:\n  web: { range: [24000, 24099] }\n"

    /// A sandbox with one project resolved, and the manifest of a second one not resolved yet.
    func prepared() throws -> (Sandbox, shop: String, other: String) {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let yaml = "services:\n  web: { range: [\(block.lowerBound), \(block.upperBound)] }\n"
        let shop = try s.project("shop", yaml)
        _ = try s.resolve(shop)
        return (s, shop, try s.project("other", yaml))
    }

    @Test(arguments: [mode_t(0o777), 0o770, 0o702])
    func aStateFolderWritableByOthersIsRefused(permissions: mode_t) throws {
        let (s, shop, other) = try prepared()
        let bytes = try #require(s.ledgerBytes())
        #expect(chmod(s.home, permissions) == 0)
        for arguments in [["resolve", "-m", other], ["resolve", "-m", shop], ["lease", "ls", "--json"], ["lease", "prune"]] {
            let result = try s.run(arguments)
            #expect(result.status == 74, "\(arguments): \(result)")
            #expect(result.stderr.contains("writable by group or others") && result.stderr.contains(s.home), "\(result)")
        }
        #expect(s.ledgerBytes() == bytes)
        #expect(chmod(s.home, 0o700) == 0)
        #expect(try s.run(["resolve", "-m", other]).status == 0, "fixed by chmod 700")
    }

    @Test func aSymlinkedStateFolderIsRefused() throws {
        let (s, shop, _) = try prepared()
        let link = s.root + "/linked-state"
        #expect(symlink(s.home, link) == 0)
        let bytes = s.ledgerBytes()
        let result = try s.run(["resolve", "-m", shop], environment: ["STYXY_HOME": link])
        #expect(result.status == 74 && result.stderr.contains("symbolic link"), "\(result)")
        #expect(try s.run(["lease", "ls"], environment: ["STYXY_HOME": link]).status == 74)
        #expect(s.ledgerBytes() == bytes)
    }

    @Test(.enabled(if: geteuid() == 0, "only root can give a folder to another user"))
    func aStateFolderOwnedByAnotherUserIsRefused() throws {
        let (s, _, other) = try prepared()
        let bytes = s.ledgerBytes()
        #expect(chown(s.home, 65534, 65534) == 0)
        let result = try s.run(["resolve", "-m", other])
        #expect(result.status == 74 && result.stderr.contains("belongs to user 65534"), "\(result)")
        #expect(chown(s.home, 0, 0) == 0)
        #expect(s.ledgerBytes() == bytes)
    }

    @Test func aCorruptLedgerIsRefusedUntilDoctorRepairsIt() throws {
        let (s, shop, other) = try prepared()
        let before = try s.leases()
        #expect(try s.resolve(other).count == 1, "a second generation, so the backup holds the first")
        let garbage = Data("{\"format\": \"styxy-ledger\", \"schema_version\": 1, \"generation\": 2, \"lea".utf8)
        try garbage.write(to: URL(fileURLWithPath: s.ledgerPath))

        for arguments in [["resolve", "-m", shop], ["resolve", "-m", other, "--dry-run"], ["lease", "ls", "--json"], ["lease", "prune"],
                          ["lease", "release", "-m", shop]] {
            let result = try s.run(arguments)
            #expect(result.status == 74, "\(arguments): \(result)")
            #expect(result.stderr.contains(s.ledgerPath) && result.stderr.contains("styxy doctor --repair"), "\(arguments): \(result)")
        }
        #expect(s.ledgerBytes() == garbage, "the damaged bytes are still there")
        #expect(try s.run(["doctor"]).status == 1, "doctor without --repair reports the damage")

        let repair = try s.run(["doctor", "--repair"])
        #expect(repair.status == 0, "\(repair)")
        let aside = (try FileManager.default.contentsOfDirectory(atPath: s.home)).filter { $0.hasPrefix("ledger.json.damaged-") }
        #expect(aside.count == 1)
        #expect(aside.first.flatMap { FileManager.default.contents(atPath: s.home + "/" + $0) } == garbage, "moved aside, not deleted")
        let restored = try s.leases()
        #expect(restored.count == before.count && restored.first?.port == before.first?.port, "the previous generation is back")
        #expect(try s.run(["resolve", "-m", other]).status == 0)
    }

    @Test func aLedgerFromANewerStyxyIsRefused() throws {
        let (s, shop, _) = try prepared()
        let newer = Data("{\"format\": \"styxy-ledger\", \"schema_version\": 99, \"generation\": 1, \"leases\": []}\n".utf8)
        try newer.write(to: URL(fileURLWithPath: s.ledgerPath))
        for arguments in [["resolve", "-m", shop], ["lease", "ls"]] {
            let result = try s.run(arguments)
            #expect(result.status == 74, "\(result)")
            #expect(result.stderr.contains("newer") && result.stderr.contains(s.ledgerPath), "\(result)")
        }
        #expect(s.ledgerBytes() == newer)
    }

    @Test func aLockHeldByTheTestIsExit75NamingItsPid() throws {
        let (s, _, other) = try prepared()
        let bytes = s.ledgerBytes()
        let fd = open(s.lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        try #require(fd >= 0)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX) == 0)
        let pid = Array("\(getpid())\n".utf8)
        ftruncate(fd, 0)
        #expect(pwrite(fd, pid, pid.count, 0) == pid.count)

        let started = Date()
        let result = try s.runProcess(["resolve", "-m", other], environment: ["STYXY_LOCK_TIMEOUT": "300ms"], timeout: 20)
        let took = Date().timeIntervalSince(started)
        #expect(result.status == 75, "\(result)")
        #expect(result.stderr.contains("PID \(getpid())"), "\(result)")
        #expect(took < 10, "gave up after \(took)s, not 300ms")
        #expect(s.ledgerBytes() == bytes)

        flock(fd, LOCK_UN)
        #expect(try s.run(["resolve", "-m", other], environment: ["STYXY_LOCK_TIMEOUT": "300ms"]).status == 0)
    }

    @Test(.enabled(if: Python.path != nil, "needs python3 to hold the lock from another process"))
    func aLockHeldByAnotherProcessIsExit75NamingThatPid() throws {
        let (s, _, other) = try prepared()
        let bytes = s.ledgerBytes()
        let holder = try s.python("""
            import fcntl, os, time
            f = open(\(pythonString(s.lockPath)), 'r+')
            fcntl.flock(f, fcntl.LOCK_EX)
            f.truncate(0); f.write(str(os.getpid()) + '\\n'); f.flush()
            print('ready', flush=True)
            time.sleep(60)
            """, cwd: "/")
        defer { holder.kill(); holder.wait(timeout: 5) }

        let result = try s.runProcess(["resolve", "-m", other], environment: ["STYXY_LOCK_TIMEOUT": "300ms"], timeout: 20)
        #expect(result.status == 75, "\(result)")
        #expect(result.stderr.contains("PID \(holder.pid)"), "\(result)")
        #expect(s.ledgerBytes() == bytes)

        holder.kill()
        #expect(holder.wait(timeout: 5))
        #expect(try s.run(["resolve", "-m", other], environment: ["STYXY_LOCK_TIMEOUT": "300ms"]).status == 0,
                "the kernel drops a dead holder's lock")
    }
}
