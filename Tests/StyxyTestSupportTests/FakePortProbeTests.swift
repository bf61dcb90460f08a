import StyxyTestSupport
import StyxyProbe
import Testing

@Suite("FakePortProbe")
struct FakePortProbeTests {
    @Test func reportsConfiguredListenersAndHolders() throws {
        let probe = FakePortProbe()
        let holder = PortHolder(pid: 42, command: "vite", workingDirectory: "/work/shop", uid: 501)
        let inode = probe.addListener(port: 3000, holder: holder)
        probe.addListener(port: 5353, proto: .udp, family: .ipv6)

        let tcp = try probe.snapshot(protocols: [.tcp])
        #expect(tcp.isListening(3000))
        #expect(!tcp.isListening(5353, proto: .udp), "UDP was not asked for")
        #expect(tcp.listeners(on: 3000).first?.inode == inode)
        #expect(tcp.listeners(on: 3000).first?.uid == 501)
        #expect(try probe.snapshot(protocols: [.udp]).listeners(on: 5353, proto: .udp).first?.localAddress == "::")
        #expect(probe.holders(ofInodes: [inode]) == [inode: [holder]])
        #expect(probe.snapshotCalls == 2)
        #expect(probe.holderLookupCalls == 1)

        probe.removeListeners(port: 3000)
        #expect(!(try probe.snapshot(protocols: [.tcp]).isListening(3000)))
        #expect(probe.bindTest(port: 3000, proto: .tcp) == .free)
    }

    @Test func bindTestFollowsListenersAndScriptedFailures() {
        let probe = FakePortProbe()
        probe.addListener(port: 8000)
        probe.failBind(port: 8001)
        probe.failBind(port: 80, with: .denied(13))
        #expect(probe.bindTest(port: 8000, proto: .tcp) == .inUse)
        #expect(probe.bindTest(port: 8000, proto: .udp) == .free)
        #expect(probe.bindTest(port: 8001, proto: .tcp) == .inUse)
        #expect(probe.bindTest(port: 80, proto: .tcp) == .denied(13))
        #expect(probe.bindTest(port: 8002, proto: .tcp) == .free)
        probe.failBind(port: 8001, with: nil)
        #expect(probe.bindTest(port: 8001, proto: .tcp) == .free)
        #expect(probe.bindTestCalls == 6)
        #expect(probe.bindTestPorts == [8000, 8000, 8001, 80, 8002, 8001])
    }

    @Test func reportsTimeWaitRangeAndUninspectable() throws {
        let probe = FakePortProbe(ephemeralRange: nil)
        #expect(probe.ephemeralRange() == nil)
        probe.setEphemeralRange(1024...2048)
        #expect(probe.ephemeralRange() == 1024...2048)

        probe.addTimeWait(port: 9000)
        let snapshot = try probe.snapshot(protocols: [.tcp])
        #expect(snapshot.hasTimeWait(9000))
        #expect(!snapshot.isListening(9000))

        probe.setUninspectable(3)
        #expect(probe.lookupHolders(ofInodes: [1]) == HolderLookup(holders: [:], uninspectable: 3))
    }
}
