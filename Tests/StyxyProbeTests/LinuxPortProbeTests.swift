import Foundation
import StyxyProbe
import StyxyTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Against the real kernel, with only sockets the tests open themselves.
@Suite("LinuxPortProbe on this machine")
struct LinuxPortProbeTests {
    let probe = LinuxPortProbe()

    @Test func seesAnIPv4LoopbackListenerAndBindFails() throws {
        let listener = try TestListener()
        let snapshot = try probe.snapshot(protocols: [.tcp])
        #expect(snapshot.isListening(UInt16(listener.port)))
        #expect(snapshot.listeningPorts.contains(UInt16(listener.port)))
        let entry = try #require(snapshot.listeners(on: UInt16(listener.port)).first)
        #expect(entry.localAddress == "127.0.0.1")
        #expect(entry.family == .ipv4)
        #expect(entry.uid == getuid())
        #expect(entry.inode != 0)
        #expect(probe.bindTest(port: UInt16(listener.port), proto: .tcp) == .inUse)
    }

    @Test(.enabled(if: TestListener.ipv6Available, "IPv6 is not available on this host"))
    func seesAnIPv6OnlyListenerAndBindFails() throws {
        let listener = try TestListener(address: .loopback6)
        let snapshot = try probe.snapshot(protocols: [.tcp])
        let entry = try #require(snapshot.listeners(on: UInt16(listener.port)).first)
        #expect(entry.localAddress == "::1")
        #expect(entry.family == .ipv6)
        // Only the IPv6 half of the bind test can catch this one.
        #expect(probe.bindTest(port: UInt16(listener.port), proto: .tcp) == .inUse)
    }

    @Test func closedPortIsFree() throws {
        let listener = try TestListener()
        let port = UInt16(listener.port)
        listener.close()
        #expect(!(try probe.snapshot(protocols: [.tcp]).isListening(port)))
        #expect(probe.bindTest(port: port, proto: .tcp) == .free)
    }

    @Test func seesAUDPSocketWhenAskedFor() throws {
        let socket = try TestListener(kind: .udp)
        let both = try probe.snapshot(protocols: [.tcp, .udp])
        #expect(both.isListening(UInt16(socket.port), proto: .udp))
        #expect(both.listeners(on: UInt16(socket.port), proto: .udp).first?.localAddress == "127.0.0.1")
        let tcpOnly = try probe.snapshot(protocols: [.tcp])
        #expect(!tcpOnly.entries.contains { $0.proto == .udp })
        #expect(probe.bindTest(port: UInt16(socket.port), proto: .udp) == .inUse)
    }

    /// The side that closes first keeps TIME_WAIT; closing the accepted socket first leaves it on the
    /// listener's port, the case a restarted server meets.
    private func leaveTimeWait(reuseAddress: Bool) throws -> (port: UInt16, snapshot: PortSnapshot) {
        let listener = try TestListener(reuseAddress: reuseAddress)
        let client = try TestListener.connect(to: listener.port)
        let accepted = try listener.accept()
        accepted.close()
        client.close()
        listener.close()
        var snapshot = try probe.snapshot(protocols: [.tcp])
        for _ in 0..<100 where !snapshot.hasTimeWait(UInt16(listener.port)) {  // the FIN exchange is asynchronous
            usleep(20_000)
            snapshot = try probe.snapshot(protocols: [.tcp])
        }
        return (UInt16(listener.port), snapshot)
    }

    @Test func timeWaitIsReportedAndDoesNotFailTheBindTest() throws {
        let (port, snapshot) = try leaveTimeWait(reuseAddress: true)
        #expect(snapshot.hasTimeWait(port))
        #expect(!snapshot.isListening(port))
        #expect(snapshot.entries.contains { $0.port == port && $0.state == .timeWait && $0.inode == 0 })
        #expect(probe.bindTest(port: port, proto: .tcp) == .free, "SO_REUSEADDR lets a server reuse it")
    }

    /// The kernel lets SO_REUSEADDR skip a TIME_WAIT only when its socket had the option too; otherwise
    /// a restarted server fails for about a minute, and the bind test must say so.
    @Test func timeWaitOfAServerWithoutReuseAddressFailsTheBindTest() throws {
        let (port, snapshot) = try leaveTimeWait(reuseAddress: false)
        #expect(snapshot.hasTimeWait(port))
        #expect(!snapshot.isListening(port))
        #expect(probe.bindTest(port: port, proto: .tcp) == .inUse)
    }

    @Test func namesThisProcessAsTheHolder() throws {
        let listener = try TestListener()
        let entry = try #require(try probe.snapshot(protocols: [.tcp]).listeners(on: UInt16(listener.port)).first)
        let lookup = probe.lookupHolders(ofInodes: [entry.inode])
        let holder = try #require(lookup.holders[entry.inode]?.first { $0.pid == getpid() })
        #expect(holder.workingDirectory == FileManager.default.currentDirectoryPath)
        #expect(!holder.command.isEmpty)
        #expect(holder.uid == getuid())
        #expect(probe.holders(ofInodes: [entry.inode]) == lookup.holders)
    }

    @Test func timeWaitInodeHasNoHolderAndCostsNoScan() {
        #expect(probe.lookupHolders(ofInodes: [0]) == HolderLookup())
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/sys/net/ipv4/ip_local_port_range")))
    func readsTheRealEphemeralRange() throws {
        let range = try #require(probe.ephemeralRange())
        #expect(range.lowerBound >= 1)
        #expect(range.count > 1)
    }
}
