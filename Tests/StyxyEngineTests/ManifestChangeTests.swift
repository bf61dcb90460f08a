import StyxyEngine
import StyxyProbe
import Testing

/// A lease is stable while the manifest is; when the manifest moves a port (a new range or type,
/// a new preference), the next resolve follows it, in two phases like any move.
@Suite("Manifest changes")
struct ManifestChangeTests {
    @Test func anUnchangedManifestNeverMovesALease() throws {
        let s = try EngineSandbox()
        let m = try s.manifest("app", oneService("dev", port: 3000))
        s.probe.addListener(port: 3000)  // someone else had 3000 at first
        #expect(try s.resolve(m).port("web") == 3001)
        s.probe.removeListeners(port: 3000)
        s.clock.advance(3600)
        let again = try s.resolve(m)
        #expect(again.port("web") == 3001, "a preference that was busy once does not pull the lease back")
        #expect(again.assignment("web")?.status == .kept)
    }

    @Test func aNewTypeOrRangeMovesTheLease() throws {
        let s = try EngineSandbox()
        #expect(try s.resolve(try s.manifest("app", oneService("dev"))).port("web") == 3000)
        let report = try s.resolve(try s.manifest("app", oneService("api")))
        #expect(report.assignment("web")?.status == .moved && report.port("web") == 8000)
        #expect(report.findings.contains { $0.message.contains("outside what the manifest now declares") })
        let ranged = try s.resolve(try s.manifest("app", "services:\n  web:\n    range: [8050, 8059]\n"))
        #expect(ranged.port("web") == 8050)
        let m = try s.manifest("app", "services:\n  web:\n    range: [8050, 8059]\n")
        #expect(try s.lease(m, "web")?.retiredPorts == [3000, 8000], "old ports stay held until the outputs name the new one")
        try s.resolver().settleMoves(m, instance: "default")
        #expect(try s.lease(m, "web")?.retiredPorts == [])
    }

    @Test func aNewPreferenceIsFollowedWhenFreeAndTriedOnce() throws {
        let s = try EngineSandbox()
        #expect(try s.resolve(try s.manifest("app", oneService("dev", port: 3000))).port("web") == 3000)
        let moved = try s.resolve(try s.manifest("app", oneService("dev", port: 3005)))
        #expect(moved.port("web") == 3005 && moved.assignment("web")?.previousPort == 3000)

        s.probe.addListener(port: 3007)
        let busy = try s.resolve(try s.manifest("app", oneService("dev", port: 3007)))
        #expect(busy.port("web") == 3005, "a busy new preference keeps the lease")
        #expect(busy.findings.contains { $0.message.contains("now prefers 3007, which is not free") })
        s.probe.removeListeners(port: 3007)
        let bindTests = s.probe.bindTestCalls
        #expect(try s.resolve(try s.manifest("app", oneService("dev", port: 3007))).port("web") == 3005)
        #expect(s.probe.bindTestCalls == bindTests, "the preference was considered once; stable since")
    }
}
