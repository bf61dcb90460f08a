import StyxyCore

public enum AddressFamily: String, Sendable, Hashable {
    case ipv4, ipv6
}

public enum SocketState: Sendable, Hashable {
    /// For UDP, an unconnected bound socket: it receives on its port like a TCP listener.
    case listen
    case timeWait
    case established
    /// Any other kernel state, with its raw `st` value from `/proc/net/*`.
    case other(UInt8)
}

/// One line of `/proc/net/{tcp,tcp6,udp,udp6}`.
public struct SocketEntry: Sendable, Hashable {
    public var proto: Transport
    public var family: AddressFamily
    /// Printable local address: `127.0.0.1`, `::`, `::1`, `::ffff:127.0.0.1`.
    public var localAddress: String
    public var port: UInt16
    public var state: SocketState
    public var uid: UInt32
    /// The socket's inode; 0 when no process owns it any more (TIME_WAIT).
    public var inode: UInt64

    public init(
        proto: Transport, family: AddressFamily, localAddress: String, port: UInt16,
        state: SocketState, uid: UInt32, inode: UInt64
    ) {
        self.proto = proto
        self.family = family
        self.localAddress = localAddress
        self.port = port
        self.state = state
        self.uid = uid
        self.inode = inode
    }
}

/// A process that owns a socket.
public struct PortHolder: Sendable, Hashable {
    public var pid: Int32
    /// The command line, arguments joined by spaces; the short process name when it has none.
    public var command: String
    /// nil when the process's working directory cannot be read (another user's process).
    public var workingDirectory: String?
    /// The process's `STYXY_*` variables, as it was started; empty when they cannot be read.
    public var styxyEnvironment: [String: String]
    public var uid: UInt32

    public init(
        pid: Int32, command: String, workingDirectory: String? = nil,
        styxyEnvironment: [String: String] = [:], uid: UInt32 = 0
    ) {
        self.pid = pid
        self.command = command
        self.workingDirectory = workingDirectory
        self.styxyEnvironment = styxyEnvironment
        self.uid = uid
    }
}

/// The holders found for some socket inodes, and how many processes could not be looked into.
/// A non-zero `uninspectable` means a missing holder may belong to a process of another user.
public struct HolderLookup: Sendable, Equatable {
    public var holders: [UInt64: [PortHolder]]
    public var uninspectable: Int

    public init(holders: [UInt64: [PortHolder]] = [:], uninspectable: Int = 0) {
        self.holders = holders
        self.uninspectable = uninspectable
    }
}

public enum BindResult: Sendable, Equatable {
    case free
    case inUse
    /// Any other failure, with its errno (EACCES below 1024, for example).
    case denied(Int32)
}

public enum PortProbeError: Error, Sendable, CustomStringConvertible {
    case unsupported(String)

    public var description: String {
        switch self {
        case .unsupported(let what): "\(what) is not supported on this operating system"
        }
    }
}

/// What the operating system says about ports; injected so the engine can be tested without one.
public protocol PortProbe: Sendable {
    /// One read of the kernel's socket tables for the given protocols.
    func snapshot(protocols: Set<Transport>) throws -> PortSnapshot
    /// Whether a server could bind `port` on the wildcard addresses right now.
    func bindTest(port: UInt16, proto: Transport) -> BindResult
    /// The kernel's ephemeral port range; nil when unknown.
    func ephemeralRange() -> ClosedRange<UInt16>?
    /// Finds the processes owning the given socket inodes, noting those that could not be inspected.
    func lookupHolders(ofInodes inodes: Set<UInt64>) -> HolderLookup
    /// Finds the processes owning the given socket inodes.
    func holders(ofInodes inodes: Set<UInt64>) -> [UInt64: [PortHolder]]
}

extension PortProbe {
    public func holders(ofInodes inodes: Set<UInt64>) -> [UInt64: [PortHolder]] {
        lookupHolders(ofInodes: inodes).holders
    }
}

/// The sockets at one instant, indexed once so that checking many candidate ports stays cheap.
public struct PortSnapshot: Sendable {
    public let entries: [SocketEntry]
    /// TCP ports with a listener on any address.
    public let listeningPorts: Set<UInt16>
    private let listenerIndex: [PortKey: [Int]]
    private let timeWaitPorts: Set<UInt16>

    private struct PortKey: Hashable {
        var proto: Transport
        var port: UInt16
    }

    public init(entries: [SocketEntry]) {
        var index: [PortKey: [Int]] = [:]
        var listening = Set<UInt16>()
        var timeWait = Set<UInt16>()
        for (i, entry) in entries.enumerated() {
            switch entry.state {
            case .listen:
                index[PortKey(proto: entry.proto, port: entry.port), default: []].append(i)
                if entry.proto == .tcp { listening.insert(entry.port) }
            case .timeWait:
                timeWait.insert(entry.port)
            default:
                break
            }
        }
        self.entries = entries
        self.listeningPorts = listening
        self.listenerIndex = index
        self.timeWaitPorts = timeWait
    }

    public func listeners(on port: UInt16, proto: Transport = .tcp) -> [SocketEntry] {
        listenerIndex[PortKey(proto: proto, port: port)]?.map { entries[$0] } ?? []
    }

    public func isListening(_ port: UInt16, proto: Transport = .tcp) -> Bool {
        listenerIndex[PortKey(proto: proto, port: port)] != nil
    }

    /// Whether a TCP connection on this local port is in TIME_WAIT.
    public func hasTimeWait(_ port: UInt16) -> Bool {
        timeWaitPorts.contains(port)
    }
}
