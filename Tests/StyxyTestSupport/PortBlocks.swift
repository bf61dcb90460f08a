import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Blocks of ports that no other test uses, each checked free before use: not in any socket
/// table (any state) and bindable on both wildcard addresses. A block is made of 10-port chunks,
/// each claimed with a flock on a file in the temporary folder that is held until this process
/// ends, so concurrent test runs (other engineers', other processes) never share a block either.
/// (100-port chunks ran the 16,000-port window dry once a hundred small blocks were held, and the
/// kill -9 test's 416 ports then found no room.)
/// Blocks stay outside the kernel's ephemeral range, where outgoing connections take ports.
public enum PortBlocks {
    public static let chunkSize = 10

    /// The descriptors holding this process's claims. They are never closed: a claim lasts until
    /// the process ends, when the kernel drops its flocks.
    private static let claims = Claims()

    private final class Claims: @unchecked Sendable {
        private let lock = NSLock()
        private var descriptors: [Int32] = []

        func keep(_ held: [Int32]) { lock.withLock { descriptors += held } }

        var count: Int { lock.withLock { descriptors.count } }
    }

    private static let folder: String = {
        let path = NSTemporaryDirectory() + "/styxy-test-port-claims-\(chunkSize)"
        mkdir(path, 0o700)
        return path
    }()

    /// How many chunks this process holds, for tests of the claims themselves.
    public static var claimedChunks: Int { claims.count }

    /// Every start in the windows is tried once, so a free block is found whenever one exists.
    /// Small blocks are placed first-fit from the bottom of the window and large ones (the stress
    /// tests' hundreds of ports) from the top: scattered at random, a suite's hundred small blocks
    /// (and the TIME_WAIT sockets their tests leave) broke the window into runs too short for a
    /// 416-port block, and the kill -9 test failed on CI for want of room.
    public static func reserve(_ size: Int) throws -> ClosedRange<Int> {
        let chunks = (size + chunkSize - 1) / chunkSize
        let starts = searchWindows(for: size).flatMap { window -> [Int] in
            let first = (window.lowerBound + chunkSize - 1) / chunkSize, last = (window.upperBound + 1 - chunks * chunkSize) / chunkSize
            return first <= last ? Array(first...last) : []
        }
        for chunk in size >= 100 ? starts.reversed() : starts {
            let block = (chunk * chunkSize)...(chunk * chunkSize + size - 1)
            guard let held = claim(chunks: chunk..<(chunk + chunks)) else { continue }
            let used = portsInSocketTables()
            if block.allSatisfy({ !used.contains($0) && canBind($0, ipv6: false) && canBind($0, ipv6: true) }) {
                claims.keep(held)
                return block
            }
            held.forEach { close($0) }
        }
        throw TestSupportError("no free block of \(size) ports")
    }

    /// 15000-30999 unless the ephemeral range covers it; then below or above that range.
    private static func searchWindows(for size: Int) -> [ClosedRange<Int>] {
        let usual = 15_000...30_999
        guard let ephemeral = ephemeralRange(), ephemeral.overlaps(usual) else { return [usual] }
        var windows: [ClosedRange<Int>] = []
        if ephemeral.lowerBound - 10_000 > size * 4 { windows.append(10_000...(ephemeral.lowerBound - 1)) }
        if 65_000 - ephemeral.upperBound > size * 4 { windows.append((ephemeral.upperBound + 1)...65_000) }
        return windows.isEmpty ? [usual] : windows  // explicit ranges may use ephemeral ports
    }

    /// flocks every chunk's file, or none.
    private static func claim(chunks: Range<Int>) -> [Int32]? {
        var held: [Int32] = []
        for chunk in chunks {
            let fd = open(folder + "/\(chunk)", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                if fd >= 0 { close(fd) }
                held.forEach { close($0) }
                return nil
            }
            held.append(fd)
        }
        return held
    }

    public static func ephemeralRange() -> ClosedRange<Int>? {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8) else { return nil }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
        return parts.count == 2 && parts[0] <= parts[1] ? parts[0]...parts[1] : nil
    }

    /// (local port, state) of every socket in /proc/net/<tables>; state 0A is LISTEN, 06 TIME_WAIT.
    public static func sockets(_ tables: [String] = ["tcp", "tcp6", "udp", "udp6"]) -> [(port: Int, state: Substring)] {
        tables.flatMap { table in
            ((try? String(contentsOfFile: "/proc/net/" + table, encoding: .utf8)) ?? "").split(separator: "\n").dropFirst().compactMap { line in
                let fields = line.split(separator: " ")
                guard fields.count > 3, let colon = fields[1].lastIndex(of: ":"),
                      let port = Int(fields[1][fields[1].index(after: colon)...], radix: 16) else { return nil }
                return (port, fields[3])
            }
        }
    }

    public static func portsInSocketTables() -> Set<Int> { Set(sockets().map(\.port)) }

    public static func hasTimeWait(_ port: Int) -> Bool { sockets(["tcp", "tcp6"]).contains { $0.port == port && $0.state == "06" } }

    public static func canBind(_ port: Int, ipv6: Bool) -> Bool {
        if ipv6 && !TestListener.ipv6Available { return true }
        return (try? TestListener(port: port, address: ipv6 ? .any6 : .any4, listen: false)) != nil
    }
}
