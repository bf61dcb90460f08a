import StyxyCore
import StyxyEngine

/// Inputs for the ledger differential, from a seed: ledgers as a person, an old or a newer Styxy
/// might leave them (any key order and spacing, escapes, nulls, unknown and repeated keys, RFC 3339
/// times, numbers at every edge the rules name), then a few byte- and token-level mutations.
public struct LedgerSamples {
    private var rng: SplitMix64
    /// Whether the ledger being made may break rules on purpose; half of them do, so that valid
    /// ledgers (the ones whose every field is compared) stay common.
    private var faulty = false

    public init(seed: UInt64) { rng = SplitMix64(seed) }

    // MARK: Ledgers as text

    public mutating func ledger() -> [UInt8] {
        faulty = rng.chance(2)
        var members: [(String, String)] = [
            ("format", pick(8, "\"styxy-ledger\"", ["\"styxy\\u002dledger\"", "\"other\"", "null", "1"])),
            // A newer version in any ledger, broken or not: "newer" must win over any damage but not-JSON.
            ("schema_version", rng.chance(12) ? "2" : pick(6, "1", ["0", "-1", "null", "\"1\"", "1.0", "99999999999999999999"])),
            ("generation", pick(2, integer(), ["-1", "null", "0.5"])),
            ("leases", list((0..<Int(rng.below(6))).map { lease($0) })),
        ]
        if rng.chance(6) { members.append(("extra", unknownValue())) }
        return Array(object(members).utf8)
    }

    /// The `index`th lease; without faults its service name ends in the index, so keys stay distinct.
    private mutating func lease(_ index: Int) -> String {
        var members: [(String, String)] = [
            ("root", rng.chance(4) ? "\"\"" : string()), ("service", faulty ? string() : string(ending: "\(index)")), ("port_name", string()), ("instance", string()),
            ("port", port()), ("protocol", rng.chance(3) ? "\"udp\"" : pick(2, "\"tcp\"", ["null", "\"TCP\"", "\"t\\u0063p\"", string()])),
            ("project", pick(2, string(), ["null"])), ("manifest", pick(2, string(), ["null"])),
            ("created_at", time()), ("refreshed_at", time()),
        ]
        if rng.chance(2) { members.append(("expires_at", pick(2, time(), ["null"]))) }
        if rng.chance(2) { members.append(("ttl_seconds", pick(3, integer(), ["null", "0", "315360000", "315360001"]))) }
        if rng.chance(3) { members.append(("preferred", pick(2, port(), ["null"]))) }
        if rng.chance(3) { members.append(("retired_ports", list((0..<Int(rng.below(3))).map { _ in port() }))) }
        if rng.chance(8) { members.append(("shape", unknownValue())) }
        if rng.chance(10), let repeated = members.randomElement(using: &rng) { members.append((repeated.0, pick(2, repeated.1, [port(), string()]))) }
        if faulty, rng.chance(12) { members.remove(at: Int(rng.below(UInt64(members.count)))) }
        return object(members)
    }

    private mutating func object(_ members: [(String, String)]) -> String {
        var shuffled = members
        if rng.chance(3) { shuffled.shuffle(using: &rng) }
        let body = shuffled.map { key, value in space() + quoted(key, escaping: rng.chance(20)) + space() + ":" + space() + value + space() }
        return "{" + body.joined(separator: ",") + "}"
    }

    private mutating func list(_ items: [String]) -> String {
        "[" + items.map { space() + $0 + space() }.joined(separator: ",\n") + "]"
    }

    private mutating func space() -> String {
        rng.chance(3) ? ["", " ", "\n", "\t", "\r\n", "  "][Int(rng.below(6))] : ""
    }

    /// Mostly a real port; also 0, 65536, -1 and forms the rules refuse.
    private mutating func port() -> String {
        faulty && rng.chance(5) ? ["0", "65535", "65536", "-1", "080", "3000.0", "3e3", "null", "\"3000\""][Int(rng.below(9))] : String(1 + rng.below(65535))
    }

    /// Without faults, 0 or more: every integer field takes that.
    private mutating func integer() -> String {
        let edges = ["0", "-0", "1", "9223372036854775807", "253402300799", "253402300800", "315360000", "315360001"]
            + (faulty ? ["-1", "-9223372036854775808", "9223372036854775808", "-9223372036854775809", "007", "1e3", "12345678901234567890"] : [])
        if rng.chance(3) { return edges[Int(rng.below(UInt64(edges.count)))] }
        let value = Int64(bitPattern: rng.next()) >> Int(rng.below(64))
        return String(faulty ? value : value & .max)
    }

    private mutating func time() -> String {
        if rng.chance(6) {
            let texts = ["2026-11-29T05:46:50Z", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z"] + (faulty ? ["2026-13-01T00:00:00Z", "yesterday", ""] : [])
            return quoted(texts[Int(rng.below(UInt64(texts.count)))], escaping: rng.chance(4))
        }
        return rng.chance(2) || !faulty ? String(rng.below(253_402_300_800)) : integer()
    }

    private mutating func string(ending suffix: String = "") -> String {
        let pieces = ["a", "web", "/srv/p", "/", "\u{E9}", "e\u{301}", "\"", "\\", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "\u{2028}",
                      "\u{FFFF}", "😀", "default", "db.main"]
        let text = (0..<Int(rng.below(4))).map { _ in pieces[Int(rng.below(UInt64(pieces.count)))] }.joined() + suffix
        return quoted(text, escaping: rng.chance(4))
    }

    /// A JSON string: minimal escapes, or (`escaping`) `\u` escapes for some characters too; now
    /// and then a raw control character or a bad escape, which no JSON reader may take.
    private mutating func quoted(_ text: String, escaping: Bool) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += faulty && rng.chance(8) ? "\\q" : "\\\\"
            case _ where scalar.value < 0x20: out += faulty && rng.chance(8) ? String(scalar) : hexEscape(scalar.value)
            case _ where escaping && rng.chance(2):
                if scalar.value > 0xFFFF {
                    let value = scalar.value - 0x10000
                    out += hexEscape(0xD800 + (value >> 10)) + (faulty && rng.chance(8) ? "" : hexEscape(0xDC00 + (value & 0x3FF)))
                } else {
                    out += hexEscape(scalar.value)
                }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private mutating func hexEscape(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: rng.chance(2))
        return "\\u" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// What a newer version might add: any JSON, nested deep now and then (past the 64 levels any
    /// reader of ours takes, or not JSON at all, only in a faulty ledger).
    private mutating func unknownValue() -> String {
        switch rng.below(6) {
        case 0: return string()
        case 1: return integer() + (rng.chance(2) ? ".5e-3" : "")
        case 2: return ["true", "false", "null", "[]", "{}"].randomElement(using: &rng) ?? "null"
        case 3:
            let depth = Int(rng.below(faulty ? 70 : 58))
            return String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        case 4: return faulty ? ["nan", "+1", ".5", "1.", "01", "tru", "[1,]"].randomElement(using: &rng) ?? "nan" : "{\"a\":[" + string() + "," + integer() + "]}"
        default: return list([string(), port()])
        }
    }

    /// One of `rare` once in `odds` times, else `usual`.
    private mutating func pick(_ odds: UInt64, _ usual: String, _ rare: [String]) -> String {
        faulty && rng.chance(odds) ? rare[Int(rng.below(UInt64(rare.count)))] : usual
    }

    // MARK: Mutations

    /// One to three edits: a byte changed, a span removed, copied or cut off, a token put in.
    public mutating func mutated(_ bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        for _ in 0...rng.below(3) {
            let at = Int(rng.below(UInt64(out.count + 1)))
            switch rng.below(5) {
            case 0 where at < out.count:
                let interesting: [UInt8] = [0x00, 0x1F, 0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A, 0x30, 0x2D, 0x80, 0xC3, 0xFF, 0x20]
                out[at] = rng.chance(2) ? interesting[Int(rng.below(UInt64(interesting.count)))] : UInt8(truncatingIfNeeded: rng.next())
            case 1: out.removeSubrange(at..<min(out.count, at + 1 + Int(rng.below(8))))
            case 2:
                let tokens = ["null", "-0", "01", "1e5", "\\u", "\\ud800", "\"", "9223372036854775808", "[", "]", "{}", ",", "\u{0}", "\\", "true", "\u{E9}"]
                out.insert(contentsOf: Array(tokens[Int(rng.below(UInt64(tokens.count)))].utf8), at: at)
            case 3 where !out.isEmpty:
                let start = Int(rng.below(UInt64(out.count)))
                out.insert(contentsOf: out[start..<min(out.count, start + 1 + Int(rng.below(40)))], at: at)
            default: out.removeSubrange(at...)
            }
        }
        return out
    }

    // MARK: States for the writer

    /// A state the writer must take as it is: ports, times and TTLs in range, keys distinct.
    public mutating func state() -> LedgerState {
        var leases: [Lease] = []
        var keys = Set<LeaseKey>()
        for _ in 0..<rng.below(6) {
            // A project's root is never empty: the ledger spells "shared" that way.
            let owner: LeaseKey.Owner = rng.chance(4) ? .shared : .project(root: "/" + plain())
            let key = LeaseKey(owner: owner, service: plain(), portName: plain(), instance: plain())
            guard keys.insert(key).inserted else { continue }
            let refreshed = Int64(rng.below(253_402_300_800))
            let ttl = rng.chance(2) ? Int64(1 + rng.below(315_360_000)) : nil
            leases.append(Lease(key: key, project: plain(), manifest: plain(), port: Int(1 + rng.below(65535)), transport: rng.chance(2) ? .tcp : .udp,
                                createdAt: Int64(rng.below(253_402_300_800)), refreshedAt: refreshed,
                                expiresAt: ttl.map { min(refreshed + $0, 253_402_300_799) }, ttl: ttl,
                                retiredPorts: (0..<rng.below(3)).map { _ in Int(1 + rng.below(65535)) },
                                preferred: rng.chance(2) ? Int(1 + rng.below(65535)) : nil))
        }
        return LedgerState(generation: Int(rng.below(1 << 40)), leases: leases)
    }

    /// Text as a Swift string, with what the escaper has to handle.
    private mutating func plain() -> String {
        let pieces = ["a", "b", "/", "\u{E9}", "e\u{301}", "\"", "\\", "\n", "\u{0}", "\u{2028}", "😀", "/srv/p"]
        return (0..<Int(rng.below(4))).map { _ in pieces[Int(rng.below(UInt64(pieces.count)))] }.joined()
    }
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64), so a failing seed
/// reproduces the same inputs anywhere.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(_ seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 0 up to, not including, `bound` (which must be above 0).
    mutating func below(_ bound: UInt64) -> UInt64 { next() % bound }

    /// True once in `odds` times.
    mutating func chance(_ odds: UInt64) -> Bool { below(odds) == 0 }
}
