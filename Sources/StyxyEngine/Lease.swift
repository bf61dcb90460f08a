import StyxyCore
import StyxyManifest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a lease is for: one port of one service, owned by one instance of a project or shared by
/// the whole machine.
///
/// Keys compare as bytes, not as Swift strings: a root is a path, and Linux names `é` and `e` +
/// U+0301 as two folders, which Swift's canonical equivalence would merge into one key. Bytes are
/// also the order the ledger is written in and the codec checks it in: by root (shared keys
/// first), instance, service, port name.
public struct LeaseKey: Hashable, Sendable, Comparable {
    /// Whose lease it is.
    public enum Owner: Hashable, Sendable {
        /// One checkout of a project, by the canonical absolute path of its root.
        case project(root: String)
        /// A shared service: one machine-wide lease, keyed by service and port name alone.
        case shared

        /// How the ledger and `lease ls --json` spell the owner: the root, or an empty one for a
        /// shared lease. No project has an empty root, so the spelling cannot be mistaken.
        public var ledgerRoot: String {
            switch self {
            case .project(let root): return root
            case .shared: return ""
            }
        }

        public static func == (a: Owner, b: Owner) -> Bool { order(a, b) == 0 }

        public func hash(into hasher: inout Hasher) {
            switch self {
            case .project(let root): LeaseKey.addBytes(of: root, to: &hasher)
            case .shared: hasher.combine(0xFE as UInt8)  // no UTF-8 byte either, so no root hashes alike
            }
        }

        /// -1, 0 or 1: shared before every project, projects by the bytes of their roots.
        static func order(_ a: Owner, _ b: Owner) -> Int {
            switch (a, b) {
            case (.shared, .shared): return 0
            case (.shared, .project): return -1
            case (.project, .shared): return 1
            case let (.project(x), .project(y)): return LeaseKey.order(x, y)
            }
        }
    }

    public var owner: Owner
    public var service: String
    public var portName: String
    /// `default` for shared keys, which belong to no instance.
    public var instance: String

    public init(owner: Owner, service: String, portName: String, instance: String) {
        self.owner = owner
        self.service = service
        self.portName = portName
        self.instance = instance
    }

    /// A key of the project whose root is `root`.
    public init(root: String, service: String, portName: String, instance: String) {
        self.init(owner: .project(root: root), service: service, portName: portName, instance: instance)
    }

    public static func shared(service: String, portName: String) -> LeaseKey {
        LeaseKey(owner: .shared, service: service, portName: portName, instance: Lease.defaultInstance)
    }

    /// The project root; nil for a shared key.
    public var root: String? {
        if case .project(let root) = owner { return root }
        return nil
    }

    public var isShared: Bool {
        if case .shared = owner { return true }
        return false
    }

    /// `web`, or `emulators.ui` for a named port.
    public var label: PortLabel { PortLabel(service: service, port: portName) }

    public static func == (a: LeaseKey, b: LeaseKey) -> Bool {
        Owner.order(a.owner, b.owner) == 0 && order(a.service, b.service) == 0 && order(a.portName, b.portName) == 0
            && order(a.instance, b.instance) == 0
    }

    public func hash(into hasher: inout Hasher) {
        owner.hash(into: &hasher)
        Self.addBytes(of: service, to: &hasher)
        Self.addBytes(of: portName, to: &hasher)
        Self.addBytes(of: instance, to: &hasher)
    }

    public static func < (a: LeaseKey, b: LeaseKey) -> Bool {
        let owner = Owner.order(a.owner, b.owner)
        if owner != 0 { return owner < 0 }
        let instance = order(a.instance, b.instance)
        if instance != 0 { return instance < 0 }
        let service = order(a.service, b.service)
        return service != 0 ? service < 0 : order(a.portName, b.portName) < 0
    }

    private static func addBytes(of part: String, to hasher: inout Hasher) {
        var part = part
        part.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(0xFF as UInt8)  // no UTF-8 byte, so parts cannot run into each other
    }

    /// -1, 0 or 1: the byte order of two strings' UTF-8.
    static func order(_ x: String, _ y: String) -> Int {
        // Most comparisons a ledger write makes are of a string with itself: a lease with its copy
        // as read, or neighbours sharing a root the reader made once. Two strings with the same
        // 16 bytes of representation (one storage, or one small string held inline) are the same
        // text, so that is settled without reading it.
        if MemoryLayout<String>.size == 16,
           unsafeBitCast(x, to: (UInt64, UInt64).self) == unsafeBitCast(y, to: (UInt64, UInt64).self) {
            return 0
        }
        var x = x, y = y
        return x.withUTF8 { a in y.withUTF8 { b in ByteOrder.compare(a, b) } }
    }
}

/// The order of byte strings, as `memcmp` sees them and the ledger is sorted.
enum ByteOrder {
    /// -1, 0 or 1; a prefix sorts first.
    static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let common = min(a.count, b.count)
        if common > 0, let x = a.baseAddress, let y = b.baseAddress {
            let order = memcmp(x, y, common)
            if order != 0 { return order < 0 ? -1 : 1 }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }
}

/// A port held for one service of one project (or machine-wide, for a shared service).
public struct Lease: Sendable, Equatable {
    public static let defaultInstance = PortLabel.defaultInstance
    /// The longest TTL, ten years: a TTL is a duration, and no duration is longer.
    public static let maximumTTL = Int64(DurationText.longest)
    /// The TTLs a lease can carry.
    public static let ttlRange: ClosedRange<Int64> = 1...maximumTTL

    public var key: LeaseKey
    /// The project's display name; empty for shared leases.
    public var project: String
    /// The manifest that asked for it, so `prune` can tell when it is gone.
    public var manifest: String
    public var port: Int
    public var transport: Transport
    public var createdAt: Int64
    public var refreshedAt: Int64
    public var expiresAt: Int64?
    /// The TTL it was given, in seconds: every refresh moves `expiresAt` this far ahead.
    public var ttl: Int64?
    /// The manifest's `port:` when this lease was made or last moved, so a changed preference is
    /// noticed once (and tried), while an unchanged one never moves a stable lease.
    public var preferred: Int?
    /// Ports this lease moved away from whose outputs may not be rewritten yet. They stay held
    /// until a resolve finishes writing, so a crash mid-move never frees a port a file still names.
    public var retiredPorts: [Int]

    public var isShared: Bool { key.isShared }

    public init(
        key: LeaseKey, project: String, manifest: String, port: Int, transport: Transport = .tcp,
        createdAt: Int64, refreshedAt: Int64, expiresAt: Int64? = nil, ttl: Int64? = nil, retiredPorts: [Int] = [],
        preferred: Int? = nil
    ) {
        self.key = key
        self.project = project
        self.manifest = manifest
        self.port = port
        self.transport = transport
        self.createdAt = createdAt
        self.refreshedAt = refreshedAt
        self.expiresAt = expiresAt
        // Without a TTL of its own (a hand-written lease), an expiry implies one; kept in range, so
        // the writer can store it and the reader accept it.
        self.ttl = ttl ?? expiresAt.map { expiry in
            let (span, overflow) = expiry.subtractingReportingOverflow(refreshedAt)
            return overflow ? (expiry > refreshedAt ? Self.maximumTTL : 1) : Lease.clampedTTL(span)
        }
        self.retiredPorts = retiredPorts
        self.preferred = preferred
    }

    /// The nearest TTL in `ttlRange`.
    public static func clampedTTL(_ seconds: Int64) -> Int64 {
        min(max(seconds, ttlRange.lowerBound), ttlRange.upperBound)
    }

    public func isExpired(at now: Int64) -> Bool {
        expiresAt.map { $0 <= now } ?? false
    }

    /// Every port this lease keeps from others.
    public var heldPorts: [Int] { [port] + retiredPorts }
}

// MARK: - JSON


extension Lease {
    /// The shape of `lease ls --json` (documented in docs/json.md).
    public var json: JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("project", .string(project)),
            ("root", .string(key.owner.ledgerRoot)),
            ("manifest", .string(manifest)),
            ("service", .string(key.service)),
            ("port_name", .string(key.portName)),
            ("instance", .string(key.instance)),
            ("port", .int(port)),
            ("protocol", .string(transport.rawValue)),
            ("shared", .bool(isShared)),
            ("created_at", .string(Timestamp.format(createdAt))),
            ("refreshed_at", .string(Timestamp.format(refreshedAt))),
            ("expires_at", expiresAt.map { .string(Timestamp.format($0)) } ?? .null),
            ("ttl_seconds", ttl.map { .int(Int($0)) } ?? .null),
        ]
        if !retiredPorts.isEmpty { pairs.append(("retired_ports", .array(retiredPorts.map(JSONValue.int)))) }
        return .object(pairs)
    }
}
