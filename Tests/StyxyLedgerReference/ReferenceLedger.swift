import StyxyCore
import StyxyEngine

/// The ledger's reading rules, written the plain way: the general JSON reader builds a tree, and
/// each rule is a line over it. `LedgerCodec.decode` does the same work on bytes, without a tree,
/// for speed; the two are held to each other by the seeded test in StyxyEngineTests and by
/// `fuzz/Sources/LedgerFuzzer`. Where they disagree, one of them is wrong.
///
/// The rules (docs/engine.md, "Fail-closed"):
/// - the file is UTF-8 JSON (RFC 8259, nested at most 64 levels) holding one object;
/// - it is **newer** when its `format` is `styxy-ledger` and its `schema_version` an integer above
///   this version's, whatever else it holds;
/// - otherwise it needs `format` `styxy-ledger`, an integer `schema_version`, a `generation` of
///   0 or more and `leases`, an array of leases with distinct keys;
/// - a lease needs `root`, `service`, `port_name` and `instance` (strings), a `port` in 1-65535,
///   `created_at` and `refreshed_at` in 1970-9999 (epoch seconds, or an RFC 3339 string); it may
///   have `project`, `manifest` and `protocol` (strings), an `expires_at` from 1970 (one past 9999
///   reads as 9999), a `ttl_seconds` of 1 or more (past ten years reads as ten years), a
///   `preferred` port and `retired_ports` in 1-65535;
/// - a key that appears twice in one object: every occurrence must be valid, the last one counts;
///   `null` counts as absent; keys this version does not know are ignored.
public enum ReferenceLedger {
    public enum Outcome: Equatable, Sendable {
        case state(LedgerState)
        case damaged
        case newer(Int)
    }

    private struct Damaged: Error {}

    public static func decode(_ bytes: [UInt8], focus: String? = nil) -> Outcome {
        guard String(validating: bytes, as: UTF8.self) != nil, case .object(let pairs)? = try? JSONValue.parse(bytes) else {
            return .damaged
        }
        if let version = newerVersion(pairs) { return .newer(version) }
        do {
            return .state(try ledger(pairs, focus: focus))
        } catch {
            return .damaged
        }
    }

    /// A key as the rules name it. Keys match as bytes, as in the fast reader; every name the rules
    /// know is ASCII, and ASCII strings are equal in Swift only when their bytes are, so any other
    /// key becomes one no rule names.
    private static func name(_ key: String) -> String {
        key.utf8.allSatisfy { $0 < 0x80 } ? key : "\u{FFFD}"
    }

    private static func newerVersion(_ pairs: [(String, JSONValue)]) -> Int? {
        guard case .string(let format)? = pairs.last(where: { name($0.0) == "format" })?.1, name(format) == "styxy-ledger",
              case .integer(let version)? = pairs.last(where: { name($0.0) == "schema_version" })?.1,
              version > LedgerState.schemaVersion
        else { return nil }
        return Int(version)
    }

    private static func ledger(_ pairs: [(String, JSONValue)], focus: String?) throws -> LedgerState {
        var format: String?
        var version: Int64?
        var generation: Int64?
        var leases: [Lease]?
        for (key, value) in pairs {
            switch name(key) {
            case "format": format = try optionalString(value)
            case "schema_version": version = try optionalInteger(value)
            case "generation":
                generation = try optionalInteger(value)
                if let generation, generation < 0 { throw Damaged() }
            case "leases": leases = try leaseList(value, focus: focus)
            default: break
            }
        }
        guard let format, name(format) == "styxy-ledger", version != nil, let generation, let leases else { throw Damaged() }
        return LedgerState(generation: Int(generation), leases: leases)
    }

    private static func leaseList(_ value: JSONValue, focus: String?) throws -> [Lease] {
        guard case .array(let items) = value else { throw Damaged() }
        let all = try items.map(lease)
        let keys = all.map { [$0.key.owner.ledgerRoot, $0.key.service, $0.key.portName, $0.key.instance].map { Array($0.utf8) } }
        guard Set(keys).count == keys.count else { throw Damaged() }
        guard let focus else { return all }
        return all.filter { $0.key.root.map { $0.utf8.elementsEqual(focus.utf8) } ?? true }
    }

    private static func lease(_ value: JSONValue) throws -> Lease {
        guard case .object(let pairs) = value else { throw Damaged() }
        var texts: [String: String] = [:]
        var numbers: [String: Int64] = [:]
        var retired: [Int] = []
        for (key, value) in pairs {
            let field = name(key)
            switch field {
            case "root", "service", "port_name", "instance": texts[field] = try string(value)
            case "project", "manifest", "protocol": texts[field] = try optionalString(value)
            case "port", "ttl_seconds", "preferred": numbers[field] = try optionalInteger(value)
            case "created_at", "refreshed_at", "expires_at": numbers[field] = try time(value)
            case "retired_ports":
                guard case .array(let items) = value else { throw Damaged() }
                retired = try items.map { item in
                    guard case .integer(let port) = item, (1...65535).contains(port) else { throw Damaged() }
                    return Int(port)
                }
            default: break
            }
        }
        let latest = Timestamp.range.upperBound, longest = Lease.ttlRange.upperBound
        let expires = numbers["expires_at"], ttl = numbers["ttl_seconds"], preferred = numbers["preferred"]
        guard let root = texts["root"], let service = texts["service"], let portName = texts["port_name"], let instance = texts["instance"],
              let port = numbers["port"], (1...65535).contains(port),
              let created = numbers["created_at"], Timestamp.range.contains(created),
              let refreshed = numbers["refreshed_at"], Timestamp.range.contains(refreshed),
              (expires ?? 0) >= 0, (ttl ?? 1) >= 1, (1...65535).contains(preferred ?? 1),
              let transport = texts["protocol"].map({ Transport(rawValue: name($0)) }) ?? .tcp
        else { throw Damaged() }
        let owner: LeaseKey.Owner = root.isEmpty ? .shared : .project(root: root)
        return Lease(key: LeaseKey(owner: owner, service: service, portName: portName, instance: instance),
                     project: texts["project"] ?? "", manifest: texts["manifest"] ?? "", port: Int(port), transport: transport,
                     createdAt: created, refreshedAt: refreshed, expiresAt: expires.map { min($0, latest) },
                     ttl: ttl.map { min($0, longest) }, retiredPorts: retired, preferred: preferred.map(Int.init))
    }

    private static func string(_ value: JSONValue) throws -> String {
        guard case .string(let text) = value else { throw Damaged() }
        return text
    }

    private static func optionalString(_ value: JSONValue) throws -> String? {
        value == .null ? nil : try string(value)
    }

    private static func optionalInteger(_ value: JSONValue) throws -> Int64? {
        switch value {
        case .null: return nil
        case .integer(let number): return number
        default: throw Damaged()
        }
    }

    /// Epoch seconds, or an RFC 3339 string; a string that is no time is a time before 1970.
    private static func time(_ value: JSONValue) throws -> Int64? {
        if case .string(let text) = value { return Timestamp.parse(text) ?? .min }
        return try optionalInteger(value)
    }
}
