import StyxyCore
import StyxyProbe

/// Who holds a port, in the terms a user acts on.
public enum HolderClass: Sendable, Equatable {
    /// Started by `styxy run` for this project, or running from inside the project root.
    case thisProject
    /// A process of another Styxy project (by its `styxy run` variables or its folder).
    case otherProject(name: String, root: String)
    /// Anything else.
    case foreign

    public var label: String {
        switch self {
        case .thisProject: return "this project"
        case .otherProject(let name, _): return "project '\(name)'"
        case .foreign: return "foreign"
        }
    }
}

/// A listener found on a port, with its processes when they could be seen.
public struct PortOccupant: Sendable, Equatable {
    public var port: Int
    public var holders: [PortHolder]
    public var holderClass: HolderClass
    /// True when no process could be named (another user's, or gone between the two reads).
    public var hidden: Bool

    /// `PID 4242 (python3 -m http.server 3000) in /home/ana/blog`, or why nothing can be named.
    public var description: String {
        guard let holder = holders.first else {
            return "a process Styxy cannot see (another user's; try `sudo ss -ltnp 'sport = :\(port)'`)"
        }
        var text = "PID \(holder.pid) (\(PrintableText.escaped(holder.command)))"
        if let folder = holder.workingDirectory { text += " in \(PrintableText.escaped(folder))" }
        if holders.count > 1 { text += " and \(holders.count - 1) more" }
        return text
    }
}

/// Names and classifies the holders of ports, with one scan of /proc for all of them.
struct HolderClassifier {
    let probe: any PortProbe
    let snapshot: PortSnapshot
    /// Roots and names of every project in the ledger, to recognise other Styxy projects; asked
    /// only when a leased port has a listener.
    let knownProjects: () -> [(root: String, name: String)]

    func occupants(of ports: [(port: Int, transport: Transport)], root: String) -> [Int: PortOccupant] {
        let found = PortInspector(probe: probe, snapshot: snapshot).holders(of: ports)
        return found.reduce(into: [:]) { result, item in
            result[item.key] = PortOccupant(port: item.key, holders: item.value, holderClass: classify(item.value, root: root),
                                            hidden: item.value.isEmpty)
        }
    }

    func classify(_ holders: [PortHolder], root: String) -> HolderClass {
        guard !holders.isEmpty else { return .foreign }
        var verdicts: [HolderClass] = []
        for holder in holders {
            if let claimed = holder.styxyEnvironment["STYXY_PROJECT_ROOT"], !claimed.isEmpty {
                verdicts.append(claimed == root ? .thisProject : .otherProject(
                    name: holder.styxyEnvironment["STYXY_PROJECT"] ?? FileIO.basename(claimed), root: claimed))
                continue
            }
            guard let folder = holder.workingDirectory else {
                verdicts.append(.foreign)
                continue
            }
            // The innermost project containing the folder wins: in a monorepo whose packages are
            // projects of their own, a server in `pkg/` is pkg's, not the parent project's.
            let mine = Self.isInside(folder, root)
            // Projects nested in this one are asked about only when the folder is inside it.
            let others = knownProjects().filter { $0.root != root && Self.isInside(folder, $0.root) }
            let inner = others.max(by: { $0.root.utf8.count < $1.root.utf8.count })
            if let inner, !mine || inner.root.utf8.count > root.utf8.count {
                verdicts.append(.otherProject(name: inner.name, root: inner.root))
            } else {
                verdicts.append(mine ? .thisProject : .foreign)
            }
        }
        // Any holder that is not ours makes the port not ours.
        return verdicts.first { $0 != .thisProject } ?? .thisProject
    }

    static func isInside(_ folder: String, _ root: String) -> Bool {
        guard !root.isEmpty else { return false }
        return folder == root || folder.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }
}

/// The processes listening on many ports, found with one scan of /proc for all of them.
public struct PortInspector: Sendable {
    public let probe: any PortProbe
    public let snapshot: PortSnapshot

    public init(probe: any PortProbe, snapshot: PortSnapshot) {
        self.probe = probe
        self.snapshot = snapshot
    }

    /// Every port with a listener, mapped to its holders (empty when none could be seen).
    public func holders(of ports: [(port: Int, transport: Transport)]) -> [Int: [PortHolder]] {
        var inodesByPort: [Int: [UInt64]] = [:]
        for (port, transport) in ports {
            let listeners = snapshot.listeners(on: UInt16(port), proto: transport)
            if !listeners.isEmpty { inodesByPort[port] = listeners.map(\.inode) }
        }
        guard !inodesByPort.isEmpty else { return [:] }
        let lookup = probe.holders(ofInodes: Set(inodesByPort.values.joined().filter { $0 != 0 }))
        return inodesByPort.mapValues { inodes in
            var holders: [PortHolder] = []
            for inode in inodes {
                for holder in lookup[inode] ?? [] where !holders.contains(holder) { holders.append(holder) }
            }
            return holders
        }
    }

    public func holders(of ports: [Int]) -> [Int: [PortHolder]] {
        holders(of: ports.map { (port: $0, transport: Transport.tcp) })
    }
}

extension PortInspector {
    /// The listeners on `ports`, each classified against the project at `root`: this project's,
    /// another Styxy project's (`knownProjects` is asked only when a port has a listener), or foreign.
    public func occupants(of ports: [(port: Int, transport: Transport)], root: String,
                          knownProjects: @escaping () -> [(root: String, name: String)]) -> [Int: PortOccupant] {
        HolderClassifier(probe: probe, snapshot: snapshot, knownProjects: knownProjects).occupants(of: ports, root: root)
    }
}

extension PortProbe {
    /// The kernel's socket tables for `protocols`, or the one error every command gives when they
    /// cannot be read (exit 74).
    public func socketTables(_ protocols: Set<Transport>) throws(StyxyError) -> PortSnapshot {
        do {
            return try snapshot(protocols: protocols)
        } catch {
            throw StyxyError(.ledgerIO, "cannot read the kernel's socket tables: \(error)",
                             hint: "Styxy needs /proc/net to confirm ports are free")
        }
    }
}
