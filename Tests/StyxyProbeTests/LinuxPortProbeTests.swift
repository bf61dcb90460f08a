import Foundation
import StyxyProbe
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Against the real kernel, with only sockets the tests open themselves.
@Suite("LinuxPortProbe on this machine")
struct LinuxPortProbeTests {
    let probe = LinuxPortProbe()

    @Test func seesAnIPv4LoopbackListenerAndBindFails() throws {
        let listener = try TestSocket.tcpListener()
        let snapshot = try probe.snapshot(protocols: [.tcp])
        #expect(snapshot.isListening(listener.port))
        #expect(snapshot.listeningPorts.contains(listener.port))
        let entry = try #require(snapshot.listeners(on: listener.port).first)
        #expect(entry.localAddress == "127.0.0.1")
        #expect(entry.family == .ipv4)
        #expect(entry.uid == getuid())
        #expect(entry.inode != 0)
        #expect(probe.bindTest(port: listener.port, proto: .tcp) == .inUse)
    }

    @Test(.enabled(if: TestSocket.ipv6Available, "IPv6 is not available on this host"))
    func seesAnIPv6OnlyListenerAndBindFails() throws {
        let listener = try TestSocket.tcpListener(ipv6: true)
        let snapshot = try probe.snapshot(protocols: [.tcp])
        let entry = try #require(snapshot.listeners(on: listener.port).first)
        #expect(entry.localAddress == "::1")
        #expect(entry.family == .ipv6)
        // Only the IPv6 half of the bind test can catch this one.
        #expect(probe.bindTest(port: listener.port, proto: .tcp) == .inUse)
    }

    @Test func closedPortIsFree() throws {
        let listener = try TestSocket.tcpListener()
        let port = listener.port
        listener.close()
        #expect(!(try probe.snapshot(protocols: [.tcp]).isListening(port)))
        #expect(probe.bindTest(port: port, proto: .tcp) == .free)
    }

    @Test func seesAUDPSocketWhenAskedFor() throws {
        let socket = try TestSocket.udp()
        let both = try probe.snapshot(protocols: [.tcp, .udp])
        #expect(both.isListening(socket.port, proto: .udp))
        #expect(both.listeners(on: socket.port, proto: .udp).first?.localAddress == "127.0.0.1")
        let tcpOnly = try probe.snapshot(protocols: [.tcp])
        #expect(!tcpOnly.entries.contains { $0.proto == .udp })
        #expect(probe.bindTest(port: socket.port, proto: .udp) == .inUse)
    }

    /// The side that closes first keeps TIME_WAIT; closing the accepted socket first leaves it on the
    /// listener's port, the case a restarted server meets.
    private func leaveTimeWait(reuseAddress: Bool) throws -> (port: UInt16, snapshot: PortSnapshot) {
        let listener = try TestSocket.tcpListener(reuseAddress: reuseAddress)
        let client = try TestSocket.connect(to: listener.port)
        let accepted = try listener.accept()
        accepted.close()
        client.close()
        listener.close()
        var snapshot = try probe.snapshot(protocols: [.tcp])
        for _ in 0..<100 where !snapshot.hasTimeWait(listener.port) {  // the FIN exchange is asynchronous
            usleep(20_000)
            snapshot = try probe.snapshot(protocols: [.tcp])
        }
        return (listener.port, snapshot)
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
        let listener = try TestSocket.tcpListener()
        let entry = try #require(try probe.snapshot(protocols: [.tcp]).listeners(on: listener.port).first)
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
