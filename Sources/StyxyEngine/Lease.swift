import StyxyCore
import StyxyManifest

#if canImport(Glibc)
import Glibc
#endif

/// What a lease is for. Shared services are keyed by service (and port) name alone: their root
/// is empty and their instance is `default`.
///
/// Keys compare as bytes, not as Swift strings: a root is a path, and Linux names `é` and `e` +
/// U+0301 as two folders, which Swift's canonical equivalence would merge into one key. Bytes are
/// also the order the ledger is written in and the codec checks it in.
public struct LeaseKey: Hashable, Sendable, Comparable {
    public var root: String
    public var service: String
    public var portName: String
    public var instance: String

    public init(root: String, service: String, portName: String, instance: String) {
        self.root = root
        self.service = service
        self.portName = portName
        self.instance = instance
    }

    public static func shared(service: String, portName: String) -> LeaseKey {
        LeaseKey(root: "", service: service, portName: portName, instance: Lease.defaultInstance)
    }

    public static func == (a: LeaseKey, b: LeaseKey) -> Bool {
        order(a.root, b.root) == 0 && order(a.service, b.service) == 0 && order(a.portName, b.portName) == 0
            && order(a.instance, b.instance) == 0
    }

    public func hash(into hasher: inout Hasher) {
        func add(_ part: String) {
            var part = part
            part.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
            hasher.combine(0xFF as UInt8)  // no UTF-8 byte, so parts cannot run into each other
        }
        add(root); add(service); add(portName); add(instance)
    }

    public static func < (a: LeaseKey, b: LeaseKey) -> Bool {
        let root = order(a.root, b.root)
        if root != 0 { return root < 0 }
        let instance = order(a.instance, b.instance)
        if instance != 0 { return instance < 0 }
        let service = order(a.service, b.service)
        return service != 0 ? service < 0 : order(a.portName, b.portName) < 0
    }

    /// -1, 0 or 1: the byte order of two strings' UTF-8.
    static func order(_ x: String, _ y: String) -> Int {
        var x = x, y = y
        return x.withUTF8 { a in
            y.withUTF8 { b in
                let common = min(a.count, b.count)
                let order = common == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, common)
                if order != 0 { return order < 0 ? -1 : 1 }
                return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
            }
        }
    }
}

/// A port held for one service of one project (or machine-wide, for a shared service).
public struct Lease: Sendable, Equatable {
    public static let defaultInstance = "default"
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

    public var isShared: Bool { key.root.isEmpty }

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
            ("root", .string(key.root)),
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
