import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyProbe
import StyxyTestSupport
import Testing

/// `matrix`'s instances leased in one transaction: one socket-table read, one ledger write, and
/// the same ports, findings and failures as resolving the instances one after another.
@Suite("Matrix in one transaction")
struct MatrixTransactionTests {
    static let stack = "services:\n  web: { type: dev, port: 3000 }\n  api: { type: api }\n  db: { type: database }\n"

    static func jobs(_ count: Int, ttl: Int64? = nil) -> [ResolveOptions] {
        (1...count).map { ResolveOptions(instance: "job-\($0)", ttl: ttl) }
    }

    /// What each instance got, by instance and label, for comparing two ways of leasing.
    static func ports(_ reports: [ResolveReport]) -> [String: [String: Int]] {
        Dictionary(uniqueKeysWithValues: reports.map { report in
            (report.instance, Dictionary(uniqueKeysWithValues: report.assignments.map { ($0.label.description, $0.port) }))
        })
    }

    @Test func manyInstancesCostOneSnapshotAndOneWriteButABindTestPerPort() throws {
        let s = try EngineSandbox()
        let manifest = try s.manifest("ci", Self.stack)
        let reports = try s.resolver().resolve(manifest, instances: Self.jobs(8, ttl: 7200))
        #expect(reports.map(\.instance) == (1...8).map { "job-\($0)" })
        #expect(s.probe.snapshotCalls == 1, "one read of the socket tables for the whole matrix")
        #expect(s.probe.bindTestCalls >= 24, "every new port was still bind-tested")
        #expect(try s.ledger.read().generation == 1, "one ledger write for eight instances")
        let all = reports.flatMap { $0.assignments.map(\.port) }
        #expect(all.count == 24 && Set(all).count == 24, "instances stay disjoint: \(all)")
        #expect(try s.leases().count == 24)
        #expect(try s.leases().allSatisfy { $0.ttl == 7200 })
    }

    @Test func portsAndFindingsMatchResolvingEachInstanceInTurn() throws {
        let probe = FakePortProbe()
        // Busy ports inside the ranges, so preferences and findings come into play.
        _ = probe.addListener(port: 3000)
        probe.failBind(port: 8001)
        let together = try EngineSandbox(probe: probe)
        let oneByOne = try EngineSandbox(probe: probe)
        let a = try together.manifest("ci", Self.stack)
        let b = try oneByOne.manifest("ci", Self.stack)
        let matrix = try together.resolver().resolve(a, instances: Self.jobs(5))
        let single = try Self.jobs(5).map { try oneByOne.resolve(b, $0) }
        #expect(Self.ports(matrix) == Self.ports(single))
        #expect(matrix.map { $0.findings.map(\.message) } == single.map { $0.findings.map(\.message) })
        #expect(matrix.map { $0.findings.map(\.reason) } == single.map { $0.findings.map(\.reason) })
    }

    @Test func aWarmMatrixWritesNothing() throws {
        let s = try EngineSandbox()
        let manifest = try s.manifest("ci", Self.stack)
        let first = try s.resolver().resolve(manifest, instances: Self.jobs(4))
        let bytes = s.ledgerBytes()
        let again = try s.resolver().resolve(manifest, instances: Self.jobs(4))
        #expect(Self.ports(again) == Self.ports(first))
        #expect(again.allSatisfy { !$0.ledgerChanged })
        #expect(s.ledgerBytes() == bytes, "nothing changed, so nothing was written")
        // One more instance than before: only it is new, and the ledger is written once more.
        let more = try s.resolver().resolve(manifest, instances: Self.jobs(5))
        #expect(Self.ports(Array(more.prefix(4))) == Self.ports(first))
        #expect(try s.ledger.read().generation == 2)
    }

    @Test func instancesBeforeAFailingOneAreKeptAsWhenEachHadItsOwnTransaction() throws {
        let s = try EngineSandbox()
        let manifest = try s.manifest("ci", "services:\n  web: { range: [20000, 20002] }\n")
        for _ in 1...2 {
            do {
                _ = try s.resolver().resolve(manifest, instances: Self.jobs(5))
                Issue.record("five instances cannot fit in three ports")
            } catch {
                #expect(error.exitStatus == .noFreePort, "\(error)")
            }
        }
        let leases = try s.leases()
        #expect(leases.map(\.key.instance).sorted() == ["job-1", "job-2", "job-3"])
        #expect(Set(leases.map(\.port)) == [20000, 20001, 20002])
        #expect(try s.ledger.read().generation == 1, "the first attempt wrote the three that fit; the second changed nothing")
    }

    @Test func aMovedInstanceLetsItsOldPortGoInTheSameWrite() throws {
        let s = try EngineSandbox()
        let before = try s.manifest("ci", "services:\n  web: { range: [20000, 20009] }\n")
        try s.resolve(before, ResolveOptions(instance: "job-1"))
        let after = try s.manifest("ci", "services:\n  web: { range: [20100, 20109] }\n")
        let reports = try s.resolver().resolve(after, instances: Self.jobs(2))
        #expect(reports[0].assignment("web")?.status == .moved)
        #expect(reports[0].assignment("web")?.previousPort == 20000)
        #expect(try s.leases().allSatisfy { $0.retiredPorts.isEmpty }, "no outputs name the old port, so it is let go")
        #expect(try s.ledger.read().generation == 2)
        #expect(Set(try s.leases().map(\.port)) == [20100, 20101])
    }
}
