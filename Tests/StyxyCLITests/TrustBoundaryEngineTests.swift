import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// DESIGN §9 through the binary: numbers that used to trap or poison the ledger, and damaged
/// state that must fail closed.
@Suite("Trust boundaries: numbers and damaged state")
struct TrustBoundaryEngineTests {
    /// A sandbox with project "shop" resolved twice over (so `ledger.json.bak` exists) and the
    /// manifest of "other", not resolved yet.
    static func prepared(services: Int = 1) throws -> (Sandbox, shop: String, other: String) {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(40)
        let yaml = "services:\n" + (0..<services).map { "  web\($0): { range: [\(block.lowerBound), \(block.upperBound)] }\n" }.joined()
        let shop = try s.project("shop", yaml)
        _ = try s.resolve(shop)
        _ = try s.resolve(shop, ["--ttl", "1h"])
        return (s, shop, try s.project("other", yaml))
    }

    /// `/bin/sh -c script` with the sandbox's environment; `$STYXY` is the binary.
    static func shell(_ s: Sandbox, _ script: String) throws -> RunResult {
        let child = try ChildProcess("/bin/sh", ["-c", script],
                                     environment: s.environment.merging(["STYXY": try StyxyBinary.require()]) { $1 },
                                     outputPrefix: s.root + "/logs/shell-\(UInt32.random(in: 0...UInt32.max))")
        let finished = child.wait(timeout: 30)
        #expect(finished, "\(script) did not finish")
        return child.result(timedOut: !finished)
    }

    // MARK: Numbers

    /// These died with SIGILL (exit 132), or wrote a 19-digit expiry that every later command
    /// refused with exit 74.
    @Test(arguments: ["99999999999999999999999d", "106751991167300d", "12000000000000d", "3000000d", "3651d"])
    func aTTLBeyondTenYearsIsAUsageErrorAndTheLedgerStaysReadable(ttl: String) throws {
        let (s, shop, other) = try Self.prepared()
        let bytes = s.ledgerBytes()
        for arguments in [["resolve", "-m", other, "--ttl", ttl], ["resolve", "-m", shop, "--json", "--ttl", ttl],
                          ["matrix", "--instances", "2", "-m", other, "--ttl", ttl], ["env", "-m", other, "--ttl", ttl]] {
            let result = try s.run(arguments)
            #expect(result.status == 64, "\(arguments): \(result)")
            #expect(result.stderr.contains("--ttl is at most 3650d"), "\(arguments): \(result)")
        }
        #expect(s.ledgerBytes() == bytes)
        #expect(try s.run(["lease", "ls"]).status == 0)
    }

    @Test func theLongestTTLExpiresInAFourDigitYear() throws {
        let (s, _, other) = try Self.prepared()
        _ = try s.resolve(other, ["--ttl", "3650d"])
        let lease = try #require(try s.leases().first { $0.root.hasSuffix("/other") })
        let expiry = try #require(lease["expires_at"] as? String)
        #expect(expiry.range(of: #"^20[3-9]\d-\d\d-\d\dT\d\d:\d\d:\d\dZ$"#, options: .regularExpression) != nil, "\(expiry)")
        #expect(lease["ttl_seconds"] as? Int == 315_360_000)
        #expect(try s.run(["resolve", "--help"]).stdout.contains("at most 3650d"))
    }

    @Test(arguments: ["99999999999999999999999d", "2h", "inf", "1e400", "nan", "-1"])
    func aLockWaitBeyondAnHourOrNotADurationIsExit64(wait: String) throws {
        let (s, _, other) = try Self.prepared()
        let bytes = s.ledgerBytes()
        let result = try s.run(["resolve", "-m", other], environment: ["STYXY_LOCK_TIMEOUT": wait])
        #expect(result.status == 64, "\(wait): \(result)")
        #expect(result.stderr.contains("STYXY_LOCK_TIMEOUT"), "\(result)")
        #expect(s.ledgerBytes() == bytes)
        #expect(try s.run(["resolve", "-m", other], environment: ["STYXY_LOCK_TIMEOUT": "1.5"]).status == 0, "bare seconds still work")
    }

    @Test func aConfiguredLockWaitBeyondAnHourIsExit65AtItsLine() throws {
        let (s, _, other) = try Self.prepared()
        let config = s.root + "/config.yaml"
        try Data("lock_timeout: 99999999999999999999999d\n".utf8).write(to: URL(fileURLWithPath: config))
        let result = try s.run(["resolve", "-m", other], environment: ["STYXY_CONFIG": config])
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("config.yaml:1:15") && result.stderr.contains("at most 1h"), "\(result)")
    }

    // MARK: Damaged state

    @Test func aDeletedLedgerBesideItsBackupIsDamagedUntilRepaired() throws {
        let (s, shop, other) = try Self.prepared()
        let before = try s.leases()
        #expect(unlink(s.ledgerPath) == 0)
        for arguments in [["lease", "ls"], ["resolve", "-m", other], ["lease", "prune"], ["check", "1"]] {
            let result = try s.run(arguments)
            #expect(result.status == 74, "\(arguments): \(result)")
            #expect(result.stderr.contains("missing, but ledger.json.bak is there") && result.stderr.contains("styxy doctor --repair"), "\(result)")
        }
        #expect(s.ledgerBytes() == nil, "nothing was written in its place")
        let repair = try s.run(["doctor", "--repair"])
        #expect(repair.status == 0 && repair.stdout.contains("restored the backup"), "\(repair)")
        #expect(try s.leases().map(\.port) == before.map(\.port))
        _ = try s.resolve(shop)
    }

    /// With `ledger.json.bak` a folder, a resolve used to fail with exit 74 after it had already
    /// replaced the ledger.
    @Test func aWriteThatFailsLeavesThePreviousLedgerAndSaysSo() throws {
        let (s, _, other) = try Self.prepared()
        #expect(unlink(s.home + "/ledger.json.bak") == 0 && mkdir(s.home + "/ledger.json.bak", 0o700) == 0)
        let bytes = s.ledgerBytes()
        let result = try s.run(["resolve", "-m", other])
        #expect(result.status == 74, "\(result)")
        #expect(result.stderr.contains("the ledger was left unchanged"), "\(result)")
        #expect(s.ledgerBytes() == bytes)
    }

    /// A full disk (a file size limit, with SIGXFSZ ignored so the write fails with EFBIG).
    @Test func aWriteOnAFullDiskLeavesThePreviousLedgerAndSaysSo() throws {
        let (s, _, other) = try Self.prepared(services: 12)
        let bytes = s.ledgerBytes()
        let result = try Self.shell(s, "trap '' XFSZ; ulimit -f 1; exec \"$STYXY\" resolve -m '\(other)'")
        #expect(result.status == 74, "\(result)")
        #expect(result.stderr.contains("the ledger was left unchanged"), "\(result)")
        #expect(s.ledgerBytes() == bytes)
    }

    /// Killed by SIGXFSZ while writing the restored ledger: the state home must still read as
    /// damaged (it used to read as a fresh, empty ledger), and a second repair finishes the job.
    @Test func aRepairKilledMidWriteStillReadsAsDamaged() throws {
        let (s, _, _) = try Self.prepared(services: 12)
        let before = try s.leases()
        try Data("{\"format\": \"styxy-ledger\", \"sch".utf8).write(to: URL(fileURLWithPath: s.ledgerPath))
        let killed = try Self.shell(s, "ulimit -f 1; exec \"$STYXY\" doctor --repair")
        #expect(killed.status == 128 + SIGXFSZ, "\(killed)")
        let after = try s.run(["lease", "ls"])
        #expect(after.status == 74 && after.stderr.contains("styxy doctor --repair"), "\(after)")
        let repair = try s.run(["doctor", "--repair"])
        #expect(repair.status == 0, "\(repair)")
        #expect(try s.leases().count == before.count)
        let aside = s.stateFiles().filter { $0.hasPrefix("ledger.json.damaged-") }
        #expect(aside.count == 2, "each repair kept the damaged file: \(s.stateFiles())")
    }

    @Test func aDamagedBackupIsReportedByRepair() throws {
        let (s, _, _) = try Self.prepared()
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: s.ledgerPath))
        try Data("more garbage".utf8).write(to: URL(fileURLWithPath: s.home + "/ledger.json.bak"))
        let repair = try s.run(["doctor", "--repair"])
        #expect(repair.status == 1, "\(repair)")
        #expect(repair.stdout.contains("backup: unusable, kept at \(s.home)/ledger.json.bak.damaged-"), "\(repair)")
        #expect(repair.stdout.contains("wrote an empty ledger"), "\(repair)")
        #expect(try s.leases().isEmpty)
        #expect(s.ledgerBytes() != nil, "an explicit empty ledger")
    }

    @Test(arguments: ["/", "/.", "//", "/./"])
    func aLinkedStateHomeIsRefusedHoweverItIsSpelled(suffix: String) throws {
        let (s, shop, _) = try Self.prepared()
        let link = s.root + "/linked-state"
        #expect(symlink(s.home, link) == 0)
        let bytes = s.ledgerBytes()
        let result = try s.run(["resolve", "-m", shop, "--ttl", "2h"], environment: ["STYXY_HOME": link + suffix])
        #expect(result.status == 74 && result.stderr.contains("symbolic link"), "\(suffix): \(result)")
        #expect(s.ledgerBytes() == bytes)
    }

    /// A project root that cannot be looked at (here a symbolic-link loop, ELOOP) is not "gone".
    @Test func pruneKeepsALeaseItCannotCheck() throws {
        let (s, _, _) = try Self.prepared()
        let root = s.projectRoot("shop")
        #expect(rename(root, s.root + "/moved") == 0 && symlink(root, root) == 0)
        let result = try s.run(["lease", "prune"])
        #expect(result.status == 0 && result.stdout.contains("nothing to prune"), "\(result)")
        #expect(try s.leases().count == 1)
    }
}
