import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A socket the test process opens itself: a TCP listener, a bound UDP socket, or one end of a
/// TCP connection. It is close-on-exec, so children never inherit it, and closed at the latest
/// when the value goes away.
public final class TestListener: @unchecked Sendable {
    public enum Address: String, CustomStringConvertible, CaseIterable, Sendable {
        case loopback4 = "127.0.0.1", any4 = "0.0.0.0", loopback6 = "::1", any6 = "::"

        public var isIPv6: Bool { self == .loopback6 || self == .any6 }
        public var description: String { rawValue }
    }

    public enum Kind: Sendable {
        case tcp, udp
    }

    public private(set) var fd: Int32
    /// The port asked for, or the one the kernel chose for port 0.
    public let port: Int

    public static let ipv6Available = (try? TestListener(port: 0, address: .loopback6, listen: false)) != nil

    /// Binds `address`:`port` (0: a port the kernel picks) and, for TCP with `listen`, listens.
    /// IPv6 sockets are v6-only, so an IPv6 listener never covers IPv4 and the reverse.
    public convenience init(port: Int = 0, address: Address = .loopback4, kind: Kind = .tcp, listen shouldListen: Bool = true,
                            reuseAddress: Bool = true) throws {
        let fd = try Self.open(ipv6: address.isIPv6, kind: kind)
        do {
            var one: Int32 = 1
            if reuseAddress { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4) }
            if address.isIPv6 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, 4) }
            if Self.withAddress(address, port: port, { bind(fd, $0, $1) }) != 0 { throw TestSupportError.call("bind \(address):\(port)") }
            if kind == .tcp, shouldListen, listen(fd, 16) != 0 { throw TestSupportError.call("listen \(address):\(port)") }
            self.init(fd: fd, port: port != 0 ? port : try Self.boundPort(fd))
        } catch {
            Self.close(fd)
            throw error
        }
    }

    private init(fd: Int32, port: Int) {
        self.fd = fd
        self.port = port
    }

    deinit { close() }

    public func close() {
        if fd >= 0 { Self.close(fd) }
        fd = -1
    }

    private static func close(_ fd: Int32) {
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
    }

    /// A TCP connection to 127.0.0.1:`port`, the client's end.
    public static func connect(to port: Int) throws -> TestListener {
        let client = TestListener(fd: try open(ipv6: false, kind: .tcp), port: 0)
        #if canImport(Glibc)
        let connected = withAddress(.loopback4, port: port) { Glibc.connect(client.fd, $0, $1) }
        #else
        let connected = withAddress(.loopback4, port: port) { Darwin.connect(client.fd, $0, $1) }
        #endif
        guard connected == 0 else { throw TestSupportError.call("connect 127.0.0.1:\(port)") }
        return client
    }

    /// The server's end of the next connection.
    public func accept() throws -> TestListener {
        #if canImport(Glibc)
        let server = Glibc.accept(fd, nil, nil)
        #else
        let server = Darwin.accept(fd, nil, nil)
        #endif
        guard server >= 0 else { throw TestSupportError.call("accept") }
        return TestListener(fd: server, port: port)
    }

    /// Leaves a TCP connection in TIME_WAIT on `port`: the accepted (server) side closes first.
    /// The listener sets SO_REUSEADDR when `reuseAddress`, and the accepted socket inherits it.
    /// Returns once the kernel's table shows the TIME_WAIT.
    public static func makeTimeWait(port: Int, reuseAddress: Bool) throws {
        let listener = try TestListener(port: port, address: .loopback4, reuseAddress: reuseAddress)
        defer { listener.close() }
        let client = try connect(to: port)
        defer { client.close() }
        try listener.accept().close()
        var byte: UInt8 = 0
        _ = recv(client.fd, &byte, 1, 0)  // the server's FIN
        client.close()
        let deadline = Date().addingTimeInterval(5)
        while !PortBlocks.hasTimeWait(port) {
            guard Date() < deadline else { throw TestSupportError("no TIME_WAIT appeared on \(port)") }
            usleep(5_000)
        }
    }

    private static func open(ipv6: Bool, kind: Kind) throws -> Int32 {
        let family = ipv6 ? AF_INET6 : AF_INET
        #if os(Linux)
        let type = Int32((kind == .tcp ? SOCK_STREAM : SOCK_DGRAM).rawValue | SOCK_CLOEXEC.rawValue)
        let fd = socket(family, type, 0)
        #else
        let fd = socket(family, kind == .tcp ? SOCK_STREAM : SOCK_DGRAM, 0)
        if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        #endif
        guard fd >= 0 else { throw TestSupportError.call("socket") }
        return fd
    }

    /// Calls `body` with the socket address of `address`:`port` and its length.
    private static func withAddress<T>(_ address: Address, port: Int, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        if address.isIPv6 {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = UInt16(port).bigEndian
            a.sin6_addr = address == .any6 ? in6addr_any : in6addr_loopback
            return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = UInt16(port).bigEndian
        a.sin_addr = in_addr(s_addr: address == .any4 ? INADDR_ANY : UInt32(0x7F00_0001).bigEndian)
        return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    }

    private static func boundPort(_ fd: Int32) throws -> Int {
        var bound = sockaddr_in6()  // large enough for either family; the port sits at the same offset
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        let result = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw TestSupportError.call("getsockname") }
        return Int(UInt16(bigEndian: bound.sin6_port))
    }
}
