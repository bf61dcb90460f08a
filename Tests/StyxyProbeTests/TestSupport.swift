import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A temporary folder laid out like `/proc`, removed when the value goes away.
final class FixtureRoot {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "styxy-probe-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func write(_ relative: String, _ text: String) throws {
        let url = URL(fileURLWithPath: path + "/" + relative)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func mkdir(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: path + "/" + relative, withIntermediateDirectories: true)
    }

    /// A symlink whose target need not exist, as in `/proc/PID/fd`.
    func link(_ relative: String, to target: String) throws {
        try mkdir((relative as NSString).deletingLastPathComponent)
        try FileManager.default.createSymbolicLink(atPath: path + "/" + relative, withDestinationPath: target)
    }
}

struct SocketCallFailed: Error, CustomStringConvertible {
    let call: String
    let code: Int32
    var description: String { "\(call): \(String(cString: strerror(code)))" }
}

/// A socket the test opens itself on a kernel-chosen port, closed at the latest when released.
final class TestSocket {
    private(set) var fd: Int32
    let port: UInt16

    private init(fd: Int32, port: UInt16) {
        self.fd = fd
        self.port = port
    }

    deinit { close() }

    func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    /// A TCP listener on 127.0.0.1 or ::1 (v6-only), with SO_REUSEADDR when `reuseAddress`.
    static func tcpListener(ipv6: Bool = false, reuseAddress: Bool = false) throws -> TestSocket {
        let socket = try open(ipv6: ipv6, type: SOCK_STREAM, port: 0, reuseAddress: reuseAddress)
        try check("listen", listen(socket.fd, 8))
        return socket
    }

    /// A bound, unconnected UDP socket on 127.0.0.1.
    static func udp() throws -> TestSocket {
        try open(ipv6: false, type: SOCK_DGRAM, port: 0)
    }

    /// A TCP client connected to 127.0.0.1:port.
    static func connect(to port: UInt16) throws -> TestSocket {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try check("socket", fd)
        var address = loopback4(port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result != 0 { let code = errno; _ = Glibc.close(fd); throw SocketCallFailed(call: "connect", code: code) }
        return TestSocket(fd: fd, port: 0)
    }

    func accept() throws -> TestSocket {
        let client = Glibc.accept(fd, nil, nil)
        try Self.check("accept", client)
        return TestSocket(fd: client, port: port)
    }

    static let ipv6Available: Bool = (try? open(ipv6: true, type: SOCK_DGRAM, port: 0)) != nil

    private static func open(
        ipv6: Bool, type: __socket_type, port: UInt16, reuseAddress: Bool = false
    ) throws -> TestSocket {
        let fd = Glibc.socket(ipv6 ? AF_INET6 : AF_INET, Int32(type.rawValue), 0)
        try check("socket", fd)
        do {
            var one: Int32 = 1
            if reuseAddress { try check("setsockopt", setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)) }
            if ipv6 {
                try check("setsockopt", setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, 4))
                var address = sockaddr_in6()
                address.sin6_family = sa_family_t(AF_INET6)
                address.sin6_addr = in6addr_loopback
                try check("bind", withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                    }
                })
            } else {
                var address = loopback4(0)
                try check("bind", withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                })
            }
            var bound = sockaddr_in6()  // large enough for either family; the port sits at the same offset
            var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            try check("getsockname", withUnsafeMutablePointer(to: &bound) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            })
            return TestSocket(fd: fd, port: UInt16(bigEndian: bound.sin6_port))
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
    }

    private static func loopback4(_ port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        return address
    }

    private static func check(_ call: String, _ result: Int32) throws {
        if result < 0 { throw SocketCallFailed(call: call, code: errno) }
    }
}
