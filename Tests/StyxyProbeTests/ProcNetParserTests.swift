import Testing

@testable import StyxyProbe
import StyxyTestSupport

/// Hand-written socket tables in the kernel's layout, header and trailing blanks included.
enum ProcNetFixture {
    static let tcp = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode         \n\
           0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0     \n\
           1: 00000000:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4243 1 0000000000000000 100 0 0 10 0\n\
           2: 0100007F:1F91 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 4244 1 0000000000000000 20 4 30 10 -1\n\
          10: 0100007F:1F92 0100007F:D000 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000\t\n\
        this line is not a socket\n\
           3: 0A00A8C0:0050\t00000000:0000\t0A 00000000:00000000 00:00000000 00000000   501        0 4245 1 0000000000000000 100 0 0 10 0\n
        """
    static let tcp6 = """
          sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
           0: 00000000000000000000000000000000:1538 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 5001 1 0000000000000000 100 0 0 10 0\n\
           1: 00000000000000000000000001000000:0FA0 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5002 1 0000000000000000 100 0 0 10 0  \n\
           2: 0000000000000000FFFF00000100007F:1F93 0000000000000000FFFF00000100007F:E000 01 00000000:00000000 00:00000000 00000000  1000        0 5003 1 0000000000000000 20 4 30 10 -1\n\
           3: 000080FE000000000000000001000000:2328 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5004 1 0000000000000000 100 0 0 10 0
        """
    static let udp = """
           sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
          120: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 7001 2 0000000000000000 0\n\
          121: 0100007F:1389 0100007F:2710 01 00000000:00000000 00:00000000 00000000  1000        0 7002 2 0000000000000000 0\n
        """

    /// A procRoot holding the tables; udp6 is left out on purpose (a missing table is not an error).
    static func root() throws -> TemporaryFolder {
        let root = try TemporaryFolder("probe")
        try root.write("net/tcp", tcp)
        try root.write("net/tcp6", tcp6)
        try root.write("net/udp", udp)
        return root
    }
}

@Suite("Parsing /proc/net tables")
struct ProcNetParserTests {
    @Test func parsesEveryIPv4Field() throws {
        let root = try ProcNetFixture.root()
        let snapshot = try LinuxPortProbe(procRoot: root.path).snapshot(protocols: [.tcp])
        #expect(snapshot.entries.first == SocketEntry(
            proto: .tcp, family: .ipv4, localAddress: "127.0.0.1", port: 8080, state: .listen, uid: 1000,
            inode: 4242))
        #expect(snapshot.entries.count == 9, "5 IPv4 + 4 IPv6 lines; header and the junk line skipped")
        let byPort = Dictionary(grouping: snapshot.entries, by: \.port)
        #expect(byPort[3000]?.first?.localAddress == "0.0.0.0")
        #expect(byPort[8081]?.first?.state == .established)
        #expect(byPort[8082]?.first?.state == .timeWait)
        #expect(byPort[8082]?.first?.inode == 0)
        #expect(byPort[80]?.first?.localAddress == "192.168.0.10", "tab-separated fields")
        #expect(byPort[80]?.first?.uid == 501)
    }

    @Test func formatsIPv6Addresses() throws {
        let root = try ProcNetFixture.root()
        let entries = try LinuxPortProbe(procRoot: root.path).snapshot(protocols: [.tcp]).entries
        let v6 = entries.filter { $0.family == .ipv6 }
        #expect(v6.map(\.localAddress) == ["::", "::1", "::ffff:127.0.0.1", "fe80::1"])
        #expect(v6.map(\.port) == [5432, 4000, 8083, 9000])
        #expect(v6.map(\.inode) == [5001, 5002, 5003, 5004])
        #expect(v6[2].state == .established)
    }

    @Test func indexesListenersAndTimeWait() throws {
        let root = try ProcNetFixture.root()
        let snapshot = try LinuxPortProbe(procRoot: root.path).snapshot(protocols: [.tcp])
        #expect(snapshot.listeningPorts == [8080, 3000, 80, 5432, 4000, 9000])
        #expect(snapshot.isListening(4000))
        #expect(!snapshot.isListening(8081), "ESTABLISHED is not a listener")
        #expect(!snapshot.isListening(8082))
        #expect(snapshot.hasTimeWait(8082))
        #expect(!snapshot.hasTimeWait(8080))
        #expect(snapshot.listeners(on: 8080).map(\.inode) == [4242])
        #expect(snapshot.listeners(on: 8083).isEmpty)
        #expect(!snapshot.isListening(68, proto: .udp), "UDP was not asked for")
    }

    @Test func unconnectedUDPCountsAsListening() throws {
        let root = try ProcNetFixture.root()
        let snapshot = try LinuxPortProbe(procRoot: root.path).snapshot(protocols: [.udp])
        #expect(snapshot.entries.allSatisfy { $0.proto == .udp })
        #expect(snapshot.isListening(68, proto: .udp))
        #expect(!snapshot.isListening(5001, proto: .udp), "a connected UDP socket is not a server")
        #expect(!snapshot.isListening(68), "UDP ports are not TCP listeners")
        #expect(snapshot.listeningPorts.isEmpty)
    }

    @Test func missingTablesAreEmptyNotErrors() throws {
        let root = try TemporaryFolder("probe")
        let snapshot = try LinuxPortProbe(procRoot: root.path).snapshot(protocols: [.tcp, .udp])
        #expect(snapshot.entries.isEmpty)
    }

    @Test func unreadableTableThrows() throws {
        let root = try TemporaryFolder("probe")
        try root.mkdir("net/tcp")  // reading a folder fails, as a permission error would
        #expect(throws: (any Error).self) {
            try LinuxPortProbe(procRoot: root.path).snapshot(protocols: [.tcp])
        }
    }

    @Test(arguments: [
        ("32768\t60999\n", 32768...60999 as ClosedRange<UInt16>?),
        ("  1024   2000  ", 1024...2000),
        ("60999 32768\n", nil),
        ("1024 70000\n", nil),
        ("garbage\n", nil),
        ("", nil),
    ])
    func parsesEphemeralRange(text: String, expected: ClosedRange<UInt16>?) throws {
        let root = try TemporaryFolder("probe")
        try root.write("sys/net/ipv4/ip_local_port_range", text)
        #expect(LinuxPortProbe(procRoot: root.path).ephemeralRange() == expected)
    }

    @Test func missingEphemeralRangeIsNil() throws {
        let root = try TemporaryFolder("probe")
        #expect(LinuxPortProbe(procRoot: root.path).ephemeralRange() == nil)
    }
}
