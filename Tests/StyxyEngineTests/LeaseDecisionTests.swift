import StyxyCore
@testable import StyxyEngine
import StyxyManifest
import StyxyProbe
import Testing

/// The per-port decision of a resolve, on its own: no ledger, no probe, only the lease, who holds
/// its port and the options. The engine tests drive the same decisions end to end.
@Suite("Lease decisions")
struct LeaseDecisionTests {
    static let foreign = PortOccupant(port: 3001, holders: [PortHolder(pid: 77, command: "nc -l 3001", workingDirectory: "/")],
                                      holderClass: .foreign, hidden: false)
    static let ours = PortOccupant(port: 3001, holders: [PortHolder(pid: 78, command: "vite")], holderClass: .thisProject, hidden: false)

    /// The `web` service of a `dev` manifest (range 3000-3099), preferring `preferred`.
    static func web(preferred: Int? = nil, shared: Bool = false) throws -> (Service, NamedPort) {
        let s = try EngineSandbox()
        var text = oneService("dev", port: preferred)
        if shared { text += "    shared: true\n" }
        let service = try #require(try s.manifest("app", text).service(named: "web"))
        return (service, service.ports[0])
    }

    static func lease(port: Int, preferred: Int? = nil) -> Lease {
        Lease(key: LeaseKey(root: "/app", service: "web", portName: "default", instance: "default"), project: "app",
              manifest: "/app/styxy.yaml", port: port, createdAt: 0, refreshedAt: 0, preferred: preferred)
    }

    static func decide(_ lease: Lease?, preferred: Int? = nil, shared: Bool = false, occupant: PortOccupant? = nil,
                       inTimeWait: Bool = false, reassign: Bool = false) throws -> LeaseDecision {
        let (service, port) = try web(preferred: preferred, shared: shared)
        return LeaseDecision(lease: lease, service: service, port: port, occupant: occupant, inTimeWait: inTimeWait, reassign: reassign)
    }

    @Test func aPortWithoutALeaseGetsOne() throws {
        #expect(try Self.decide(nil) == .create)
    }

    @Test func aLeaseInRangeIsKeptAndSaysWhyWhenItMatters() throws {
        let lease = Self.lease(port: 3001)
        #expect(try Self.decide(lease) == .keep(nil))
        #expect(try Self.decide(lease, occupant: Self.ours) == .keep(nil), "this project's own server is not news")
        #expect(try Self.decide(lease, inTimeWait: true) == .keep(.timeWait))
        #expect(try Self.decide(lease, occupant: Self.ours, inTimeWait: true) == .keep(nil), "TIME_WAIT matters only on a free port")
    }

    @Test func aForeignHolderIsAConflictOrAMoveWithReassign() throws {
        let lease = Self.lease(port: 3001)
        #expect(try Self.decide(lease, occupant: Self.foreign) == .conflict(Self.foreign))
        #expect(try Self.decide(lease, occupant: Self.foreign, reassign: true) == .move(.heldBy(Self.foreign)))
    }

    @Test func aSharedLeaseIsNeverMovedByOneProjectsManifest() throws {
        #expect(try Self.decide(Self.lease(port: 11430), shared: true) == .keep(nil), "outside dev's range, but shared")
        #expect(try Self.decide(Self.lease(port: 3001), preferred: 3005, shared: true) == .keep(nil))
        #expect(try Self.decide(Self.lease(port: 3001), shared: true, occupant: Self.foreign, reassign: true)
            == .keep(.sharedRunning(Self.foreign)))
    }

    @Test func theManifestMovesALeaseItNoLongerDeclaresOrNewlyPrefers() throws {
        #expect(try Self.decide(Self.lease(port: 8000)) == .move(.undeclared))
        #expect(try Self.decide(Self.lease(port: 8000), occupant: Self.foreign) == .move(.undeclared), "the manifest comes first")
        #expect(try Self.decide(Self.lease(port: 8000), preferred: 8000) == .keep(nil), "its own preference is declared")
        #expect(try Self.decide(Self.lease(port: 3001), preferred: 3005) == .move(.preference(3005)))
        #expect(try Self.decide(Self.lease(port: 3001, preferred: 3005), preferred: 3005) == .keep(nil), "a preference is tried once")
    }

    @Test func aNewPreferenceIsTakenOnlyWhenThatPortIsOffered() {
        #expect(LeaseDecision.MoveReason.preference(3005).takes(3005))
        #expect(!LeaseDecision.MoveReason.preference(3005).takes(3006))
        #expect(LeaseDecision.MoveReason.undeclared.takes(3006) && LeaseDecision.MoveReason.heldBy(Self.foreign).takes(3006))
    }

    @Test func eachDecisionExplainsItselfOnce() {
        let web = PortLabel(service: "web"), ui = PortLabel(service: "emulators", port: "ui")
        #expect(LeaseDecision.create.finding(label: web, port: 3001, offered: nil) == nil)
        #expect(LeaseDecision.keep(nil).finding(label: web, port: 3001, offered: nil) == nil)
        let refused = LeaseDecision.move(.preference(3005)).finding(label: ui, port: 3001, offered: 3006)
        #expect(refused?.message == "emulators.ui now prefers 3005, which is not free; keeping 3001")
        #expect(refused?.label.description == "emulators.ui" && refused?.port == 3001 && refused?.severity == .note)
        let moved = LeaseDecision.move(.preference(3005)).finding(label: ui, port: 3001, offered: 3005)
        #expect(moved?.message == "emulators.ui now prefers 3005; moved from 3001")
        let conflict = LeaseDecision.conflict(Self.foreign).finding(label: web, port: 3001, offered: nil)
        #expect(conflict?.severity == .conflict)
        #expect(conflict?.nextStep == "stop PID 77 (`kill 77`), or run `styxy resolve --reassign` to move web to a free port")
    }
}
