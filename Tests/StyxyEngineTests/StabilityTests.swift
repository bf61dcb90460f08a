import Foundation
import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyProbe
import Testing

/// Existing leases: they keep their ports, and whoever listens on them is named and classified.
@Suite("Stability and holders")
struct StabilityTests {
    static let twoServices = "services:\n  web: { type: dev }\n  api: { type: api }\n"

    @Test func aSecondResolveKeepsEveryPortAndWritesNothing() throws {
        let s = try EngineSandbox()
        let m = try s.manifest("shop", Self.twoServices)
        let first = try s.resolve(m)
        let generation = try s.ledger.read().generation
        let bytes = s.ledgerBytes()
        // Even when the OS would now refuse the ports, a lease keeps its port (and is not re-tested).
        s.probe.failBind(port: UInt16(first.port("web")!))
        let second = try s.resolve(m)
        #expect(second.assignments.map(\.port) == first.assignments.map(\.port))
        #expect(second.assignments.allSatisfy { $0.status == .kept })
        #expect(!second.ledgerChanged)
        #expect(try s.ledger.read().generation == generation)
        #expect(s.ledgerBytes() == bytes)
    }

    @Test func aListenerRunningInsideTheProjectIsNotAConflict() throws {
        let s = try EngineSandbox()
        let m = try s.manifest("shop", oneService("dev"))
        let port = try #require(try s.resolve(m).port("web"))
        let holder = PortHolder(pid: 4242, command: "vite --port \(port)", workingDirectory: m.root + "/frontend")
        s.probe.addListener(port: UInt16(port), holder: holder)
        let report = try s.resolve(m, ResolveOptions(reassign: true))
        #expect(report.findings.isEmpty, "\(report.findings)")
        #expect(report.port("web") == port)
        #expect(report.assignment("web")?.occupant?.holderClass == .thisProject)
        #expect(report.assignment("web")?.occupant?.holders == [holder])
    }

    @Test func aListenerStartedForTheProjectByStyxyRunIsNotAConflict() throws {
        let s = try EngineSandbox()
        let m = try s.manifest("shop", oneService("dev"))
        let port = try #require(try s.resolve(m).port("web"))
        let holder = PortHolder(pid: 77, command: "node server.js", workingDirectory: "/",
                                styxyEnvironment: ["STYXY_PROJECT_ROOT": m.root, "STYXY_PROJECT": "shop"])
        s.probe.addListener(port: UInt16(port), family: .ipv6, holder: holder)
        let report = try s.resolve(m)
        #expect(report.conflicts.isEmpty)
        #expect(report.assignment("web")?.occupant?.holderClass == .thisProject)
    }

    @Test func aSiblingFolderSharingThePrefixIsNotInsideTheProject() throws {
        let s = try EngineSandbox()
        let m = try s.manifest("shop", oneService("dev"))
        let port = try #require(try s.resolve(m).port("web"))
        s.probe.addListener(port: UInt16(port), holder: PortHolder(pid: 9, command: "ruby", workingDirectory: m.root + "2"))
        #expect(try s.resolve(m).conflicts.count == 1)
    }

    @Test func aForeignHolderIsAConflictNamingPidCommandAndANextStep() throws {
        let s = try EngineSandbox()
        let m = try s.manifest("shop", Self.twoServices)
        let port = try #require(try s.resolve(m).port("web"))
        s.probe.addListener(port: UInt16(port), holder: PortHolder(pid: 4242, command: "python3 -m http.server \(port)",
                                                                  workingDirectory: "/srv/elsewhere"))
        let report = try s.resolve(m)
        let conflict = try #require(report.conflicts.first)
        #expect(report.conflicts.count == 1)
        #expect(conflict.service == "web" && conflict.port == port)
        #expect(conflict.message.contains("PID 4242") && conflict.message.contains("python3 -m http.server"), "\(conflict.message)")
        #expect(conflict.message.contains("foreign"), "\(conflict.message)")
        let step = try #require(conflict.nextStep)
        #expect(step.contains("kill 4242") && step.contains("--reassign"), "\(step)")
        #expect(report.port("web") == port, "without --reassign the lease stays where it is")
        #expect(report.assignment("web")?.occupant?.holderClass == .foreign)
        #expect(try s.lease(m, "web")?.port == port)
    }

    @Test func aHolderStyxyCannotSeeIsStillAConflict() throws {
        let s = try EngineSandbox()
        let m = try s.manifest("shop", oneService("dev"))
        let port = try #require(try s.resolve(m).port("web"))
        s.probe.addListener(port: UInt16(port), holder: nil)
        let conflict = try #require(try s.resolve(m).conflicts.first)
        #expect(conflict.message.contains("cannot see"), "\(conflict.message)")
    }

    @Test func aHolderFromAnotherStyxyProjectIsNamedAsThatProject() throws {
        let s = try EngineSandbox()
        let other = try s.manifest("billing", "services:\n  api: { type: api }\n")
        try s.resolve(other)
        let m = try s.manifest("shop", oneService("dev"))
        let port = try #require(try s.resolve(m).port("web"))
        s.probe.addListener(port: UInt16(port), holder: PortHolder(pid: 5150, command: "rails s", workingDirectory: other.root + "/app"))
        let conflict = try #require(try s.resolve(m).conflicts.first)
        #expect(conflict.message.contains("project 'billing'") && conflict.message.contains("PID 5150"), "\(conflict.message)")
        let occupant = try #require(try s.resolve(m).assignment("web")?.occupant)
        #expect(occupant.holderClass == .otherProject(name: "billing", root: other.root))
        // The same through `styxy run` variables, from any folder.
        s.probe.removeListeners(port: UInt16(port))
        s.probe.addListener(port: UInt16(port), holder: PortHolder(pid: 5151, command: "node", workingDirectory: "/",
                                                                  styxyEnvironment: ["STYXY_PROJECT_ROOT": "/x/crm", "STYXY_PROJECT": "crm"]))
        #expect(try s.resolve(m).assignment("web")?.occupant?.holderClass == .otherProject(name: "crm", root: "/x/crm"))
    }

    @Test func reassignMovesTheLeaseAndRetiresTheOldPortUntilSettled() throws {
        let s = try EngineSandbox()
        let m = try s.manifest("shop", oneService("dev"))
        #expect(try s.resolve(m).port("web") == 3000)
        s.probe.addListener(port: 3000, holder: PortHolder(pid: 31337, command: "nc -l 3000", workingDirectory: "/tmp"))
        let report = try s.resolve(m, ResolveOptions(reassign: true))
        let moved = try #require(report.assignment("web"))
        #expect(moved.status == .moved && moved.previousPort == 3000 && moved.port == 3001)
        #expect(report.conflicts.isEmpty)
        #expect(report.findings.contains { $0.severity == .note && $0.message.contains("moved") && $0.message.contains("31337") })
        let lease = try #require(try s.lease(m, "web"))
        #expect(lease.port == 3001 && lease.retiredPorts == [3000])
        // Until the move settles, 3000 stays held even though its listener went away.
        s.probe.removeListeners(port: 3000)
        #expect(try s.resolve(try s.manifest("other", oneService("dev"))).port("web") == 3002)
        try s.resolver().settleMoves(m, instance: "default")
        #expect(try s.lease(m, "web")?.retiredPorts == [])
        #expect(try s.resolve(try s.manifest("third", oneService("dev"))).port("web") == 3000)
        // The moved lease is stable from now on.
        #expect(try s.resolve(m).assignment("web")?.status == .kept)
    }

    @Test func aRunningSharedServiceIsANoteNotAConflict() throws {
        let s = try EngineSandbox()
        let m = try s.manifest("shop", "services:\n  ollama: { type: ai, shared: true }\n")
        try s.resolve(m)
        s.probe.addListener(port: 11430, holder: PortHolder(pid: 600, command: "ollama serve", workingDirectory: "/"))
        let report = try s.resolve(m, ResolveOptions(reassign: true))
        #expect(report.conflicts.isEmpty)
        #expect(report.port("ollama") == 11430)
        #expect(report.findings.contains { $0.severity == .note && $0.message.contains("ollama serve") })
    }

    @Test func aLeasedPortInTimeWaitIsNamedAsSuch() throws {
        let s = try EngineSandbox()
        let m = try s.manifest("shop", oneService("dev"))
        try s.resolve(m)
        s.probe.addTimeWait(port: 3000)
        let report = try s.resolve(m)
        #expect(report.port("web") == 3000)
        #expect(report.conflicts.isEmpty)
        #expect(report.findings.contains { $0.severity == .note && $0.port == 3000 && $0.message.contains("TIME_WAIT") })
    }

    @Test func servicesDroppedFromTheManifestAreReleased() throws {
        let s = try EngineSandbox()
        try s.resolve(try s.manifest("shop", Self.twoServices), ResolveOptions(instance: "ci"))
        let api = try #require(try s.resolve(try s.manifest("shop", Self.twoServices)).port("api"))
        #expect(api == 8001, "the ci instance took 8000")
        let report = try s.resolve(try s.manifest("shop", oneService("dev")))
        #expect(report.released.map(\.key.service) == ["api"])
        #expect(report.released.first?.port == api)
        let left = try s.leases().map { "\($0.key.service)/\($0.key.instance)" }.sorted()
        #expect(left == ["api/ci", "web/ci", "web/default"], "other instances are not touched")
        // The released port is free for others again.
        #expect(try s.resolve(try s.manifest("other", "services:\n  api: { type: api }\n")).port("api") == api)
    }

    @Test func refreshWithinTheIntervalWritesNothingAndTakesNoLock() throws {
        let s = try EngineSandbox()
        let m = try s.manifest("shop", Self.twoServices)
        let start = s.clock.now
        try s.resolve(m)
        let generation = try s.ledger.read().generation
        let lock = try LedgerLock.acquire(path: s.home.lockPath, timeout: 1)
        s.clock.advance(Resolver.refreshInterval - 1)
        let warm = try s.resolver(lockTimeout: 0.1).resolve(m, options: ResolveOptions())
        #expect(!warm.ledgerChanged)
        #expect(try s.ledger.read().generation == generation)
        // Past the interval the refresh needs the lock: with it held, a clear timeout.
        s.clock.advance(2)
        let error = #expect(throws: StyxyError.self) { try s.resolver(lockTimeout: 0.1).resolve(m, options: ResolveOptions()) }
        #expect(error?.exitStatus == .lockTimeout)
        lock.release()
        let refreshed = try s.resolve(m)
        #expect(refreshed.ledgerChanged)
        #expect(try s.ledger.read().generation == generation + 1)
        #expect(try s.leases().allSatisfy { $0.refreshedAt == start + Resolver.refreshInterval + 1 && $0.createdAt == start })
    }

    @Test func aDryRunPlansButWritesNothing() throws {
        let s = try EngineSandbox()
        let report = try s.resolve(try s.manifest("shop", Self.twoServices), ResolveOptions(dryRun: true))
        #expect(report.ledgerChanged)
        #expect(report.assignments.count == 2)
        #expect(s.ledgerBytes() == nil)
        #expect(!FileManager.default.fileExists(atPath: s.home.lockPath), "a dry run takes no lock")
    }
}
