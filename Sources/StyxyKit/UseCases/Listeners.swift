import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyProbe

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One leased port of a service, as `up` and `wait` watch it.
package struct WatchedPort: Sendable {
    package var label: PortLabel
    package var port: Int
    package var transport: Transport
}

/// The listening sockets at one moment, with the processes that hold them: what `up` and `wait`
/// read to tell a service that is ready from one that is not, or that listens somewhere else.
struct ListenerView {
    let snapshot: PortSnapshot
    /// Holders of every listening socket, by inode (one scan of /proc for all of them).
    let holders: [UInt64: [PortHolder]]

    init(probe: any PortProbe) throws(StyxyError) {
        snapshot = try probe.socketTables([.tcp, .udp])
        let inodes = snapshot.entries.filter { $0.state == .listen && $0.inode != 0 }.map(\.inode)
        holders = inodes.isEmpty ? [:] : probe.holders(ofInodes: Set(inodes))
    }

    /// The processes listening on `port`; `listening` is false when no socket listens at all.
    func holders(of port: WatchedPort) -> (listening: Bool, holders: [PortHolder]) {
        let sockets = snapshot.listeners(on: UInt16(port.port), proto: port.transport)
        var found: [PortHolder] = []
        for socket in sockets {
            for holder in holders[socket.inode] ?? [] where !found.contains(holder) { found.append(holder) }
        }
        return (!sockets.isEmpty, found)
    }

    /// The ports processes in `pids` listen on, sorted.
    func ports(heldBy pids: Set<Int32>) -> [Int] {
        var ports = Set<Int>()
        for entry in snapshot.entries where entry.state == .listen {
            if (holders[entry.inode] ?? []).contains(where: { pids.contains($0.pid) }) { ports.insert(Int(entry.port)) }
        }
        return ports.sorted()
    }
}

extension StyxyApp {
    /// The leased ports of `services` after a resolve, in manifest order.
    static func watchedPorts(of services: [Service], report: ResolveReport) -> [String: [WatchedPort]] {
        var result: [String: [WatchedPort]] = [:]
        for service in services {
            result[service.name] = service.ports.compactMap { named in
                let label = service.label(of: named)
                return report.port(of: label).map { WatchedPort(label: label, port: $0, transport: service.transport) }
            }
        }
        return result
    }

    /// The services `names` name, each checked to exist (exit 64 with "did you mean" otherwise).
    static func services(named names: [String], in manifest: Manifest, needingCommand: Bool = false) throws(StyxyError) -> [Service] {
        var found: [Service] = []
        for name in names { found.append(try service(named: name, in: manifest, needingCommand: needingCommand)) }
        return found
    }
}
