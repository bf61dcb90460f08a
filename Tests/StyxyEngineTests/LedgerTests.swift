import Foundation
import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyProbe
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The ledger file: fail-closed reading, durable writes, the backup generation and repair.
@Suite("Ledger")
struct LedgerTests {
    static let lease = """
        {"project": "shop", "root": "/x/shop", "manifest": "/x/shop/styxy.yaml", "service": "web", "port_name": "default",
         "instance": "default", "port": 3000, "protocol": "tcp", "shared": false, "created_at": "2026-01-01T00:00:00Z",
         "refreshed_at": "2026-01-01T00:00:00Z", "expires_at": null}
        """

    static let damaged: [(name: String, text: String, says: String)] = [
        ("not JSON", "{\"format\": \"styxy-ledger\", \"schema_version\": 1, \"generation\": 3, \"leases\": [", "not valid JSON"),
        ("empty file", "", "not valid JSON"),
        ("not a ledger", "{\"format\": \"something-else\", \"schema_version\": 1, \"generation\": 1, \"leases\": []}", "not a Styxy ledger"),
        ("a list", "[1, 2, 3]", "not a Styxy ledger"),
        ("newer schema", "{\"format\": \"styxy-ledger\", \"schema_version\": 2, \"generation\": 9, \"leases\": []}", "newer Styxy"),
        ("duplicate keys", "{\"format\": \"styxy-ledger\", \"schema_version\": 1, \"generation\": 2, \"leases\": [\(lease), \(lease)]}", "repeats a key"),
        ("bad port", "{\"format\": \"styxy-ledger\", \"schema_version\": 1, \"generation\": 2, \"leases\": [\(lease.replacingOccurrences(of: "3000", with: "70000"))]}", "'port'"),
        ("bad time", "{\"format\": \"styxy-ledger\", \"schema_version\": 1, \"generation\": 2, \"leases\": [\(lease.replacingOccurrences(of: "\"created_at\": \"2026-01-01T00:00:00Z\"", with: "\"created_at\": \"yesterday\""))]}", "'created_at'"),
    ]

    @Test(arguments: damaged.indices)
    func aDamagedOrNewerLedgerIsRefusedAndNeverOverwritten(index: Int) throws {
        let (name, text, says) = Self.damaged[index]
        let s = try EngineSandbox()
        try s.writeLedger(text)
        let bytes = try #require(s.ledgerBytes())
        let m = try s.manifest("shop", oneService("dev"))
        let attempts: [(String, () throws -> Void)] = [
            ("read", { _ = try s.ledger.read() }),
            ("resolve", { try s.resolve(m) }),
            ("resolve --dry-run", { try s.resolve(m, ResolveOptions(dryRun: true)) }),
            ("prune", { _ = try s.maintenance().prune(dryRun: false) }),
            ("prune --dry-run", { _ = try s.maintenance().prune(dryRun: true) }),
            ("release", { _ = try s.maintenance().release { _ in true } }),
            ("update", { try s.ledger.update(timeout: 1) { (state: inout LedgerState) in state.leases = [] } }),
            ("settle", { try s.resolver().settleMoves(m, instance: "default") }),
        ]
        for (what, attempt) in attempts {
            let error = #expect(throws: StyxyError.self, "\(name): \(what)") { try attempt() }
            #expect(error?.exitStatus == .ledgerIO, "\(name): \(what)")
            let message = error?.description ?? ""
            #expect(message.contains(s.home.ledgerPath), "\(name): \(what) names the file: \(message)")
            #expect(message.contains("styxy doctor --repair"), "\(name): \(what) names the repair: \(message)")
            #expect(message.contains(says), "\(name): \(what): \(message)")
        }
        #expect(ExitStatus.ledgerIO.rawValue == 74)
        #expect(s.ledgerBytes() == bytes, "\(name): the bytes on disk are unchanged")
        #expect(!FileManager.default.fileExists(atPath: s.home.backupPath), "\(name): nothing was rotated")
    }

    @Test func theBackupIsThePreviousGeneration() throws {
        let s = try EngineSandbox()
        try s.resolve(try s.manifest("a", oneService("dev")))
        #expect(try s.ledger.read().generation == 1)
        try s.resolve(try s.manifest("b", oneService("dev")))
        let current = try s.ledger.read()
        let backup = try #require(try s.ledger.readBackup())
        #expect(current.generation == 2 && backup.generation == 1)
        #expect(backup.leases.map(\.project) == ["a"])
        #expect(Set(current.leases.map(\.project)) == ["a", "b"])
    }

    @Test func repairMovesTheDamagedFileAsideAndRestoresTheBackup() throws {
        let s = try EngineSandbox()
        try s.resolve(try s.manifest("a", oneService("dev")))
        try s.resolve(try s.manifest("b", oneService("dev")))
        let garbage = "{\"format\": \"styxy-ledger\", \"sch"
        try s.writeLedger(garbage)
        let outcome = try s.ledger.repair(timeout: 1, now: s.clock.now)
        guard case .restoredBackup(let aside?) = outcome else {
            Issue.record("expected the backup to be restored, got \(outcome)")
            return
        }
        #expect(aside.hasPrefix(s.home.ledgerPath + ".damaged-"))
        #expect(try FileIO.read(aside) == Array(garbage.utf8), "the damaged bytes are kept, not deleted")
        let restored = try s.ledger.read()
        #expect(restored.generation == 1 && restored.leases.map(\.project) == ["a"])
        #expect(mode(of: s.home.ledgerPath) == 0o600)
        // A healthy ledger is left alone.
        let bytes = s.ledgerBytes()
        #expect(try s.ledger.repair(timeout: 1, now: s.clock.now) == .healthy)
        #expect(s.ledgerBytes() == bytes)
    }

    @Test func repairWithoutABackupStartsEmpty() throws {
        let s = try EngineSandbox()
        try s.writeLedger("{\"format\": \"styxy-ledger\", \"schema_version\": 7, \"generation\": 1, \"leases\": []}")
        let outcome = try s.ledger.repair(timeout: 1, now: s.clock.now)
        guard case .startedEmpty(let aside?, nil, nil) = outcome else {
            Issue.record("expected an empty start, got \(outcome)")
            return
        }
        #expect(FileManager.default.fileExists(atPath: aside))
        #expect(try s.ledger.read().leases.isEmpty)
        #expect(try s.resolve(try s.manifest("a", oneService("dev"))).port("web") == 3000)
    }

    @Test func filesAre0600AndTheFoldersAre0700() throws {
        let s = try EngineSandbox()
        let nested = Ledger(home: StateHome(path: s.root + "/new/deeper/state"))
        try nested.update(timeout: 1) { (state: inout LedgerState) in
            state.leases = [Lease(key: LeaseKey(root: "/x", service: "web", portName: "default", instance: "default"),
                                  project: "x", manifest: "/x/styxy.yaml", port: 3000, createdAt: 1, refreshedAt: 1)]
        }
        try nested.update(timeout: 1) { (state: inout LedgerState) in state.leases[0].port = 3001 }
        #expect(mode(of: nested.home.path) == 0o700)
        #expect(mode(of: s.root + "/new/deeper") == 0o700)
        #expect(mode(of: nested.home.ledgerPath) == 0o600)
        #expect(mode(of: nested.home.backupPath) == 0o600)
        #expect(mode(of: nested.home.lockPath) == 0o600)
        let names = FileIO.list(nested.home.path).sorted()
        #expect(names == ["ledger.json", "ledger.json.bak", "ledger.lock"], "no temporary files are left: \(names)")
    }

    @Test func everyFieldSurvivesAWriteAndARead() throws {
        let s = try EngineSandbox()
        let leases = [
            Lease(key: LeaseKey(root: "/x/shop", service: "web", portName: "default", instance: "ci-1"), project: "shop \"quoted\" ✓",
                  manifest: "/x/shop/styxy.yaml", port: 3000, transport: .tcp, createdAt: 1_700_000_000, refreshedAt: 1_700_000_100,
                  expiresAt: 1_700_007_200, retiredPorts: [3005, 3006]),
            Lease(key: .shared(service: "ollama", portName: "default"), project: "", manifest: "", port: 11430, transport: .udp,
                  createdAt: 5, refreshedAt: 6),
        ]
        try s.ledger.update(timeout: 1) { (state: inout LedgerState) in state.leases = leases }
        let read = try s.ledger.read()
        #expect(read.generation == 1)
        #expect(Set(read.leases.map(\.key)) == Set(leases.map(\.key)))
        for lease in leases { #expect(read.lease(for: lease.key) == lease) }
        #expect(read.heldPorts(at: 1_700_000_000).keys.sorted() == [3000, 3005, 3006, 11430])
        #expect(read.heldPorts(at: 1_700_007_200).keys.sorted() == [11430], "an expired lease holds nothing")
    }

    @Test func updatesFromManyThreadsAreNeverLost() async throws {
        let s = try EngineSandbox()
        let ledger = s.ledger
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for step in 0..<10 {
                        try? ledger.update(timeout: 10) { (state: inout LedgerState) in
                            let port = 20000 + worker * 100 + step
                            state.leases.append(Lease(key: LeaseKey(root: "/w\(worker)", service: "s\(step)", portName: "default", instance: "default"),
                                                      project: "w\(worker)", manifest: "", port: port, createdAt: 1, refreshedAt: 1))
                        }
                    }
                }
            }
        }
        let state = try ledger.read()
        #expect(state.leases.count == 80)
        #expect(state.generation == 80)
        #expect(Set(state.leases.map(\.port)).count == 80)
    }
}

@Suite("Timestamp")
struct TimestampTests {
    @Test func formatsRFC3339UTC() {
        #expect(Timestamp.format(0) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.format(1_795_412_810) == "2026-11-23T05:46:50Z")
    }

    @Test(arguments: [Int64(0), 951_782_400, 1_700_000_000, 4_102_444_799])
    func parsesWhatItFormats(seconds: Int64) {
        #expect(Timestamp.parse(Timestamp.format(seconds)) == seconds)
    }

    @Test(arguments: ["", "2026-11-29 05:46:50Z", "2026-13-01T00:00:00Z", "2026-11-29T05:46:50", "2026-11-29T05:46:50+00:00", "2026-11-29T25:00:00Z", "yesterday"])
    func rejectsEverythingElse(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test func nowIsTheWallClock() {
        let now = Timestamp.now()
        #expect(abs(now - Int64(Date().timeIntervalSince1970)) <= 2)
    }
}
