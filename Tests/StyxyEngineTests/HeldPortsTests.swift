import StyxyCore
@testable import StyxyEngine
import Testing

/// The port table a plan chooses new ports against: the same answers the dictionary of leases
/// it replaced gave.
@Suite("Held ports")
struct HeldPortsTests {
    static func lease(_ service: String, port: Int, expires: Int64? = nil, retired: [Int] = []) -> Lease {
        Lease(key: LeaseKey(root: "/p", service: service, portName: "default", instance: "default"), project: "p",
              manifest: "/p/styxy.yaml", port: port, createdAt: 0, refreshedAt: 0, expiresAt: expires, retiredPorts: retired)
    }

    @Test func liveLeasesHoldTheirPortsAndRetiredOnesExpiredOnesNothing() {
        var held = HeldPorts()
        held.add(liveOf: [Self.lease("a", port: 3000, retired: [3005]), Self.lease("b", port: 3001, expires: 100),
                          Self.lease("c", port: 3002, expires: 101)], at: 100)
        #expect(held[3000]?.key.service == "a")
        #expect(held[3005]?.key.service == "a", "a port moved away from stays held")
        #expect(held[3001] == nil, "an expired lease holds nothing")
        #expect(held[3002]?.key.service == "c")
        #expect(held[3003] == nil && held[0] == nil && held[65535] == nil)
        #expect(Set(held.holders.map(\.key.service)) == ["a", "c"])
    }

    @Test func laterLeasesAndSetPortsTakeOver() {
        var held = HeldPorts()
        held.add(liveOf: [Self.lease("old", port: 4000)], at: 0)
        held.add(liveOf: [Self.lease("new", port: 4000)], at: 0)
        #expect(held[4000]?.key.service == "new")
        held[4001] = Self.lease("chosen", port: 4001)
        held[4000] = Self.lease("moved", port: 4001)
        #expect(held[4001]?.key.service == "chosen" && held[4000]?.key.service == "moved")
        #expect(Set(held.holders.map(\.key.service)) == ["chosen", "moved"], "a lease no port names any more is no holder")
    }
}
