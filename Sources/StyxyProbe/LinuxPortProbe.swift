#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif
import StyxyCore

/// The port probe backed by Linux's `/proc` and real bind attempts. `procRoot` is injectable so tests
/// can feed fixture tables. Elsewhere only the bind test works (it is plain POSIX): reading the
/// socket tables throws `PortProbeError.unsupported`, so a resolve fails rather than trusting the
/// ledger alone, and holder lookups find nobody.
public struct LinuxPortProbe: PortProbe {
    public let procRoot: String

    public init(procRoot: String = "/proc") {
        self.procRoot = procRoot
    }

    /// Reads each table once. A missing table (IPv6 disabled, UDP not asked for) is not an error; an
    /// unreadable one throws `FileIOError`, since an empty answer would look like "all ports free".
    public func snapshot(protocols: Set<Transport>) throws -> PortSnapshot {
        #if os(Linux)
        if procRoot == "/proc", let entries = Self.diagnosticSnapshot(protocols: protocols) {
            return PortSnapshot(entries: entries)
        }
        var entries: [SocketEntry] = []
        for proto in Transport.allCases where protocols.contains(proto) {
            for (suffix, family) in [("", AddressFamily.ipv4), ("6", .ipv6)] {
                guard let bytes = try FileIO.readSystem("\(procRoot)/net/\(proto.rawValue)\(suffix)") else { continue }
                ProcNetParser.parse(bytes, proto: proto, family: family, into: &entries)
            }
        }
        return PortSnapshot(entries: entries)
        #else
        throw PortProbeError.unsupported("Reading the socket tables")
        #endif
    }

    /// Binds the IPv4 wildcard, then the IPv6 wildcard (v6-only, so it does not overlap the IPv4 test),
    /// the way a server started on this port would; a listener on any single address then fails it.
    public func bindTest(port: UInt16, proto: Transport) -> BindResult {
        guard port != 0 else { return .denied(EINVAL) }
        let v4 = Self.tryBind(family: AF_INET, port: port, proto: proto) ?? .denied(EAFNOSUPPORT)
        guard v4 == .free else { return v4 }
        // A host without IPv6 cannot have an IPv6 listener: IPv4 alone decides.
        return Self.tryBind(family: AF_INET6, port: port, proto: proto) ?? .free
    }

    public func ephemeralRange() -> ClosedRange<UInt16>? {
        guard let bytes = try? FileIO.readSystem("\(procRoot)/sys/net/ipv4/ip_local_port_range") else { return nil }
        return ProcNetParser.parseRange(bytes)
    }

    public func lookupHolders(ofInodes inodes: Set<UInt64>) -> HolderLookup {
        #if os(Linux)
        HolderScanner(procRoot: procRoot).lookup(inodes)
        #else
        // No inodes to look for: without the socket tables there are none (see `snapshot`).
        HolderLookup()
        #endif
    }

    #if os(Linux)
    /// The same tables through netlink `sock_diag` (much cheaper than `/proc`, see `SocketDiag`);
    /// nil when netlink is unavailable (a sandbox), so `/proc` answers instead. TCP: listeners and
    /// TIME_WAIT; UDP: every bound socket.
    private static func diagnosticSnapshot(protocols: Set<Transport>) -> [SocketEntry]? {
        var entries: [SocketEntry] = []
        for proto in Transport.allCases where protocols.contains(proto) {
            let states = proto == .tcp ? SocketDiag.listenState | SocketDiag.timeWaitState : SocketDiag.allStates
            for family in [AddressFamily.ipv4, .ipv6] {
                do {
                    entries += try SocketDiag.dump(proto: proto, family: family, states: states)
                } catch {
                    // A kernel without IPv6 refuses that family only; anything else means no netlink.
                    if family == .ipv6 && (error.code == EAFNOSUPPORT || error.code == ENOENT) { continue }
                    return nil
                }
            }
        }
        return entries
    }
    #endif

    /// A close-on-exec socket: in one call where the kernel offers it, else right after.
    private static func openSocket(family: Int32, proto: Transport) -> Int32 {
        #if os(Linux)
        let type = proto == .tcp ? SOCK_STREAM : SOCK_DGRAM
        return socket(family, Int32(type.rawValue | SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(family, proto == .tcp ? SOCK_STREAM : SOCK_DGRAM, 0)
        if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return fd
        #endif
    }

    /// nil when the address family is not available on this host.
    private static func tryBind(family: Int32, port: UInt16, proto: Transport) -> BindResult? {
        let fd = openSocket(family: family, proto: proto)
        if fd < 0 { return errno == EAFNOSUPPORT ? nil : .denied(errno) }
        defer { close(fd) }
        // TCP servers set SO_REUSEADDR, so a TIME_WAIT left on the port must not fail the test. (The
        // kernel still refuses it when the closed socket lacked the option; a restarted server would
        // fail then too, so .inUse is the truth.) UDP has no TIME_WAIT, and there the option would let
        // us share a port that another process holds.
        if proto == .tcp, !setOption(fd, SOL_SOCKET, SO_REUSEADDR) { return .denied(errno) }
        var bound: Int32
        if family == AF_INET6 {
            if !setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY) { return .denied(errno) }
            var address = sockaddr_in6()
            #if canImport(Darwin)
            address.sin6_len = UInt8(MemoryLayout<sockaddr_in6>.size)
            #endif
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_addr = in6addr_any
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            #if canImport(Darwin)
            address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
            #endif
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr = in_addr(s_addr: INADDR_ANY)
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        // Some conflicts (SO_REUSEPORT groups) only show at listen(), which is where a server fails too.
        if bound == 0, proto == .tcp { bound = listen(fd, 1) }
        if bound == 0 { return .free }
        return errno == EADDRINUSE ? .inUse : .denied(errno)
    }

    private static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32) -> Bool {
        var one: Int32 = 1
        return setsockopt(fd, level, name, &one, socklen_t(MemoryLayout<Int32>.size)) == 0
    }
}
