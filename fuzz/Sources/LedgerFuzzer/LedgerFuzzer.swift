import FuzzSupport
import StyxyCore
import StyxyEngine
import StyxyLedgerReference
import StyxyManifest

/// The limits docs/engine.md promises, spelled out here rather than borrowed from the code under
/// test, so the expected round trip is computed independently of the codec's own clamping.
private let latestTime: Int64 = 253_402_300_799  // 9999-12-31T23:59:59Z
private let longestTTL: Int64 = 3650 * 86400

/// One input, used three ways:
/// 1. as ledger bytes: the decoder returns a state or a typed problem, never anything else; a
///    state it returns is one the engine can trust, the writer writes it, and what was written
///    decodes to the same state (and is written to the same bytes: a fixed point); a focused read
///    agrees with the full one;
/// 2. as a recipe for a state, extreme numbers included: the writer refuses exactly the states
///    no clamp can fix, and what it writes decodes to the state clamped to the documented limits;
/// 3. as text for `Timestamp.parse` and `DurationText.read`;
/// 4. as ledger bytes again, through the plain reference reader (`ReferenceLedger`: the general
///    JSON reader and the rules, one line each), which must reach the same outcome, to the byte,
///    focused or not, and read back what the writer makes of it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let disagreements = LedgerDifferential.disagreements(bytes)
    Oracle.require(disagreements.isEmpty, disagreements.joined(separator: "\n"), String(decoding: bytes, as: UTF8.self).debugDescription)
    decodeAndRoundTrip(bytes)
    var recipe = Recipe(bytes)
    buildAndRoundTrip(recipe.state())
    checkTexts(bytes)
    return 0
}

private func decodeAndRoundTrip(_ bytes: [UInt8]) {
    let state: LedgerState
    do {
        state = try LedgerCodec.decode(bytes)
    } catch {
        // A damaged ledger is refused whatever is asked of it.
        for focus in ["", "/x"] {
            Oracle.require((try? LedgerCodec.decode(bytes, focus: focus)) == nil, "a focused read of a damaged ledger succeeded", error)
        }
        return
    }
    Oracle.require(state.generation >= 0, "a negative generation was read")
    for lease in state.leases {
        for time in [lease.createdAt, lease.refreshedAt] + (lease.expiresAt.map { [$0] } ?? []) {
            Oracle.require((0...latestTime).contains(time), "a time outside 1970-9999 was read: \(time)", lease)
            Oracle.require(Timestamp.parse(Timestamp.format(time)) == time, "time \(time) does not survive RFC 3339", lease)
        }
        Oracle.require(lease.ttl.map { (1...longestTTL).contains($0) } ?? true, "a TTL outside its range was read", lease)
        Oracle.require(ports(of: lease).allSatisfy { (1...65535).contains($0) }, "a port outside 1-65535", lease)
    }
    Oracle.require(Set(state.leases.map(\.key)).count == state.leases.count, "two leases with one key were read")
    // So the writer must take it, and with every number in range, clamping changes nothing.
    buildAndRoundTrip(state)

    var roots = Set(state.leases.compactMap(\.key.root))
    roots.insert("/not-in-the-ledger")
    for root in roots {
        // Roots match as bytes, as in the reader: `é` and `e` + U+0301 are two folders. Shared
        // leases come with every project's.
        let expected = state.leases.filter { $0.key.root.map { $0.utf8.elementsEqual(root.utf8) } ?? true }
        let focused = try? LedgerCodec.decode(bytes, focus: root)
        Oracle.require(focused?.leases == expected && focused?.generation == state.generation,
                       "the read focused on \(root) disagrees with the full read", "\(String(describing: focused))\n\(state)")
    }
}

private func buildAndRoundTrip(_ state: LedgerState) {
    // A project key with an empty root would read back as shared (the ledger's spelling of it).
    let unwritable = state.leases.contains { ports(of: $0).contains { !(1...65535).contains($0) } || $0.key.root == "" }
        || Set(state.leases.map { keyBytes($0.key) }).count != state.leases.count
    let written: [UInt8]
    do {
        written = try LedgerCodec.encode(state)
    } catch {
        Oracle.require(unwritable, "the writer refused a writable state: \(error)", state)
        return
    }
    Oracle.require(!unwritable, "the writer wrote a state its reader must refuse", state)
    let clamped = state.leases.map { lease in
        var lease = lease
        lease.createdAt = min(max(lease.createdAt, 0), latestTime)
        lease.refreshedAt = min(max(lease.refreshedAt, 0), latestTime)
        lease.expiresAt = lease.expiresAt.map { min(max($0, 0), latestTime) }
        lease.ttl = lease.ttl.map { min(max($0, 1), longestTTL) }
        return lease
    }
    roundTrip(written, expected: LedgerState(generation: max(0, state.generation), leases: sortedByBytes(clamped)))
}

/// `written` decodes to `expected`, and writing that again gives the same bytes.
private func roundTrip(_ written: [UInt8], expected: LedgerState) {
    do {
        let read = try LedgerCodec.decode(written)
        Oracle.require(read == expected, "what was written reads back differently", "\(read)\n\(expected)")
        Oracle.require(LedgerDifferential.same(ReferenceLedger.decode(written), .state(expected)),
                       "the reference reader reads what was written differently", String(decoding: written, as: UTF8.self))
        Oracle.require((try? LedgerCodec.encode(read)) == written, "writing what was read gives other bytes")
    } catch {
        Oracle.require(false, "the reader refuses what the writer wrote: \(error)", String(decoding: written, as: UTF8.self))
    }
}

private func ports(of lease: Lease) -> [Int] {
    lease.heldPorts + (lease.preferred.map { [$0] } ?? [])
}

/// The writer's order, computed here from the bytes: root (empty for shared), instance, service,
/// port name.
private func keyBytes(_ key: LeaseKey) -> [[UInt8]] {
    [key.root ?? "", key.instance, key.service, key.portName].map { Array($0.utf8) }
}

private func sortedByBytes(_ leases: [Lease]) -> [Lease] {
    leases.sorted { a, b in
        for (x, y) in zip(keyBytes(a.key), keyBytes(b.key)) where x != y { return x.lexicographicallyPrecedes(y) }
        return false
    }
}

private func checkTexts(_ bytes: [UInt8]) {
    let text = String(decoding: bytes.prefix(64), as: UTF8.self)
    if let seconds = Timestamp.parse(text) {
        Oracle.require(Timestamp.format(seconds) == text, "Timestamp.parse accepted \(text) but formats it as \(Timestamp.format(seconds))")
    }
    for maximum in [DurationText.longest, DurationText.longestLockWait] {
        if case .seconds(let seconds) = DurationText.read(text, maximum: maximum) {
            Oracle.require(seconds.isFinite && seconds >= 0 && seconds <= maximum, "DurationText read \(text) as \(seconds)")
        }
    }
}

/// Reads fuzz bytes as choices; past the end every choice is 0.
private struct Recipe {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func byte() -> UInt8 {
        defer { offset += 1 }
        return offset < bytes.count ? bytes[offset] : 0
    }

    /// Mostly the numbers at the edges; otherwise eight raw bytes.
    mutating func int64() -> Int64 {
        let edges: [Int64] = [.min, .max, 0, -1, 1, latestTime, latestTime + 1, longestTTL, longestTTL + 1, 1_800_000_000,
                              -latestTime, .min + 1, .max - 1]
        let choice = Int(byte())
        if choice < edges.count * 12 { return edges[choice % edges.count] }
        var value: UInt64 = 0
        for _ in 0..<8 { value = value << 8 | UInt64(byte()) }
        return Int64(bitPattern: value)
    }

    mutating func port() -> Int {
        switch byte() % 16 {
        case 0: return 0
        case 1: return 65536
        case 2: return Int(int64())
        default: return 1 + (Int(byte()) << 8 | Int(byte())) % 65535
        }
    }

    /// Text with something for the escaper and the byte order to do.
    mutating func text() -> String {
        let pieces = ["a", "b", "/", "\u{E9}", "e\u{301}", "\"", "\\", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "\u{2028}",
                      "\u{FFFF}", "😀", "ab/c", "default", "/srv/p"]
        return (0..<Int(byte() % 6)).map { _ in pieces[Int(byte()) % pieces.count] }.joined()
    }

    mutating func optional<T>(_ make: (inout Recipe) -> T) -> T? {
        byte() % 3 == 0 ? nil : make(&self)
    }

    mutating func state() -> LedgerState {
        let generation = Int(int64())
        let count = Int(byte() % 6)
        var leases: [Lease] = []
        for _ in 0..<count {
            let owner: LeaseKey.Owner = byte() % 4 == 0 ? .shared : .project(root: text())
            let key = LeaseKey(owner: owner, service: text(), portName: text(), instance: text())
            let port = port()
            let retired = (0..<Int(byte() % 3)).map { _ in self.port() }
            leases.append(Lease(key: key, project: text(), manifest: text(), port: port, transport: byte() % 2 == 0 ? .tcp : .udp, createdAt: int64(),
                                refreshedAt: int64(), expiresAt: optional { $0.int64() }, ttl: optional { $0.int64() },
                                retiredPorts: retired, preferred: optional { $0.port() }))
        }
        return LedgerState(generation: generation, leases: leases)
    }
}
