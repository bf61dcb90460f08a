import StyxyCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The ledger file's bytes: JSON, one lease per line, times as epoch seconds.
///
/// A warm resolve reads the whole ledger on every `npm run dev`, and a machine can hold thousands
/// of leases, so this codec works on bytes directly instead of building a generic JSON tree:
/// keys are matched as bytes, times are integers (no date parsing), and nothing but the lease
/// structs is allocated. It still accepts any JSON a person might leave there: keys in any order,
/// whitespace, escapes; unknown keys are skipped so a later minor version can add fields.
///
/// What the writer emits, the reader accepts: numbers the reader would refuse are clamped on the
/// way out (times into `Timestamp.range`, TTLs into `Lease.ttlRange`, the generation from 0), and
/// a state no clamp can fix (a port outside 1-65535, two leases with one key) is not written at
/// all. `fuzz/Sources/LedgerFuzzer` holds both directions to that.
public enum LedgerCodec {
    /// Why the bytes are not a ledger this version can use.
    public enum Problem: Error, Equatable, Sendable {
        case damaged(String)
        case newer(Int)
    }

    /// Every lease, or with `focus` only the leases of that project root and the shared ones. The
    /// whole file is checked either way: a damaged ledger is refused whatever is asked of it.
    public static func decode(_ bytes: [UInt8], focus: String? = nil) throws(Problem) -> LedgerState {
        try bytes.withUnsafeBufferPointer { buffer throws(Problem) in
            // JSON is UTF-8; a string that is not would come back repaired (U+FFFD), and so
            // neither match its own bytes in a focused read nor survive a round trip.
            guard JSONBytes.isUTF8(buffer) else { throw .damaged("not UTF-8 text") }
            var scanner = LedgerScanner(bytes: buffer)
            scanner.focus = focus.map { Array($0.utf8) }
            let state: LedgerState
            do throws(Problem) {
                state = try scanner.ledger()
            } catch .damaged(let why) {
                // A newer Styxy may have changed the leases' shape; say "newer", not "damaged", then.
                var again = LedgerScanner(bytes: buffer)
                if let version = again.newerVersion() { throw .newer(version) }
                throw .damaged(why)
            } catch {
                throw error
            }
            if let focus, scanner.unsorted {
                // Repeated keys can only be ruled out by looking at every key: read it all.
                return try decode(bytes, focus: nil).focused(on: focus)
            }
            guard focus == nil, !scanner.unsorted else { return state }
            var whole = state
            whole.source = LedgerSource(bytes: bytes, leases: state.leases, spans: scanner.spans)
            return whole
        }
    }
}

/// A forward-only reader over the ledger's bytes; `LedgerCodec+Layout.swift` holds its fast path.
struct LedgerScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var offset = 0
    /// Materialise only leases of this root (and shared ones); nil for all.
    var focus: [UInt8]?
    /// Set when leases are not in the order Styxy writes them.
    var unsorted = false
    /// With no focus: for each lease, its bytes when they are exactly what the writer makes of
    /// it (see `LedgerSource`).
    var spans: [Range<Int>?] = []
    let arena = Arena()
    /// The last string made for each text field of a lease. Neighbouring leases (sorted by root)
    /// mostly share their root, project, manifest, instance and port name, so a field
    /// equal to the previous lease's reuses its string instead of decoding another copy.
    private var recent: [(bytes: Key, text: String)?] = Array(repeating: nil, count: TextField.allCases.count)

    enum TextField: Int, CaseIterable {
        case root, service, portName, instance, project, manifest
    }

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    func fail(_ what: String) -> LedgerCodec.Problem {
        .damaged("not valid JSON: \(what) at byte \(offset)")
    }

    mutating func ledger() throws(LedgerCodec.Problem) -> LedgerState {
        var format: String?
        var version: Int?
        var generation: Int?
        var leases: [Lease]?
        skipSpace()
        if offset < bytes.count, bytes[offset] != 0x7b { throw .damaged("not a Styxy ledger: it is not a JSON object") }
        try object { (scanner: inout LedgerScanner, key: Key) throws(LedgerCodec.Problem) in
            switch key {
            case "format": format = try scanner.string()
            case "schema_version": version = try scanner.integer().map(Int.init)
            case "generation":
                generation = try scanner.integer().map(Int.init)
                if let value = generation, value < 0 { throw .damaged("the generation is negative") }
            case "leases": leases = try scanner.leases()
            default: try scanner.skipValue(depth: 1)
            }
        }
        skipSpace()
        guard offset == bytes.count else { throw fail("unexpected data after the ledger") }
        guard format == "styxy-ledger", let version else { throw .damaged("not a Styxy ledger") }
        // Only now, with the whole file read as JSON: a file that is not JSON is damaged, whatever it claims.
        if version > LedgerState.schemaVersion { throw .newer(version) }
        guard let generation, let leases else { throw .damaged("missing generation or leases") }
        return LedgerState(generation: generation, leases: leases)
    }

    /// The `schema_version` of a Styxy ledger newer than this one, whatever its leases hold: the
    /// last `format` is `styxy-ledger` and the last `schema_version` an integer above ours. nil
    /// for anything else, including a file that is not JSON.
    mutating func newerVersion() -> Int? {
        var format: String?
        var version: Int64?
        skipSpace()
        let read: Void? = try? object { (scanner: inout LedgerScanner, key: Key) throws(LedgerCodec.Problem) in
            let start = scanner.offset
            switch key {
            case "format":
                format = try? scanner.string()
                if format == nil { scanner.offset = start; try scanner.skipValue(depth: 1) }
            case "schema_version":
                version = try? scanner.integer()
                if version == nil { scanner.offset = start; try scanner.skipValue(depth: 1) }
            default: try scanner.skipValue(depth: 1)
            }
        }
        skipSpace()
        guard read != nil, offset == bytes.count, format == "styxy-ledger", let version, version > LedgerState.schemaVersion else { return nil }
        return Int(version)
    }

    mutating func leases() throws(LedgerCodec.Problem) -> [Lease] {
        var leases: [Lease] = []
        var previous: RawKey?
        var count = 0
        try array { (scanner: inout LedgerScanner) throws(LedgerCodec.Problem) in
            let (lease, key, span) = try scanner.lease(index: count)
            count += 1
            if let previous {
                switch previous.compare(key) {
                case 0: throw .damaged("lease \(count - 1) repeats a key")
                case 1: scanner.unsorted = true
                default: break
                }
            }
            previous = key
            if let lease { leases.append(lease) }
            if scanner.focus == nil { scanner.spans.append(span) }
        }
        // Styxy writes leases sorted, so neighbours reveal repeats; a hand-ordered file is checked in full.
        if unsorted, focus == nil, Set(leases.lazy.map(\.key)).count != leases.count { throw .damaged("two leases share a key") }
        return leases
    }

    enum Field {
        case root, service, portName, instance, port, transport, project, manifest
        case created, refreshed, expires, ttl, retired, preferred, unknown

        /// Dispatch on length first: one comparison per key instead of one per field.
        init(_ key: Key) {
            let slice = key.slice
            guard let start = slice.baseAddress, !slice.isEmpty else { self = .unknown; return }
            func is_(_ name: StaticString) -> Bool {
                memcmp(start, name.utf8Start, slice.count) == 0
            }
            switch slice.count {
            case 4: self = is_("root") ? .root : is_("port") ? .port : .unknown
            case 7: self = is_("service") ? .service : is_("project") ? .project : .unknown
            case 8: self = is_("instance") ? .instance : is_("protocol") ? .transport : is_("manifest") ? .manifest : .unknown
            case 9: self = is_("port_name") ? .portName : is_("preferred") ? .preferred : .unknown
            case 10: self = is_("created_at") ? .created : is_("expires_at") ? .expires : .unknown
            case 11: self = is_("ttl_seconds") ? .ttl : .unknown
            case 12: self = is_("refreshed_at") ? .refreshed : .unknown
            case 13: self = is_("retired_ports") ? .retired : .unknown
            default: self = .unknown
            }
        }
    }

    /// What one lease object holds, as read: key parts and strings as bytes, numbers as read.
    struct Fields {
        var raw = RawKey()
        var project, manifest, transport: Key?
        var port, created, refreshed, expires, ttl, preferred: Int64?
        var retired: [Int] = []
    }

    /// A lease (nil when out of focus), its key's bytes, and its own bytes when they are what
    /// the writer would make of it. Strings are made only for leases in focus; the others are
    /// checked field by field but stay bytes.
    mutating func lease(index: Int) throws(LedgerCodec.Problem) -> (Lease?, RawKey, Range<Int>?) {
        let start = offset
        var fields = Fields()
        let written = writtenLease(&fields)
        if !written {
            // Not the writer's exact layout: read it again as any JSON object.
            offset = start
            fields = Fields()
            try anyLease(&fields)
        }
        let raw = fields.raw
        func missing(_ field: String) -> LedgerCodec.Problem { .damaged("lease \(index) has a missing or invalid '\(field)'") }
        guard let root = raw.root else { throw missing("root") }
        guard let service = raw.service else { throw missing("service") }
        guard let portName = raw.portName else { throw missing("port_name") }
        guard let instance = raw.instance else { throw missing("instance") }
        guard let port = fields.port, (1...65535).contains(port) else { throw missing("port") }
        // Absent or null is what ledgers before the field meant: TCP.
        guard let transport = fields.transport.map(Self.transport) ?? .tcp else { throw missing("protocol") }
        guard let created = fields.created, Timestamp.range.contains(created) else { throw missing("created_at") }
        guard let refreshed = fields.refreshed, Timestamp.range.contains(refreshed) else { throw missing("refreshed_at") }
        if let expires = fields.expires, expires < Timestamp.range.lowerBound { throw missing("expires_at") }
        if let ttl = fields.ttl, ttl <= 0 { throw missing("ttl_seconds") }
        if let preferred = fields.preferred, !(1...65535).contains(preferred) { throw missing("preferred") }
        // An expiry past 9999 or a TTL past ten years is what Styxy wrote before it had these
        // limits (`--ttl 3000000d`); both mean "far ahead", so they are read as the limit itself
        // rather than costing the ledger. Other times out of range are damage.
        let expiry = fields.expires.map(Timestamp.clamped)
        let lifetime = fields.ttl.map(Lease.clampedTTL)
        if let focus, !root.isEmpty, !root.equals(focus) { return (nil, raw, nil) }
        // The writer clamps, and escapes U+2028 and U+2029 (0xE2 leads them), so bytes with either
        // would not be what it writes.
        let span = written && expiry == fields.expires && lifetime == fields.ttl && !contains(0xE2, in: start..<offset)
            ? start..<offset : nil
        // An empty root is how the ledger spells a shared lease (`LeaseKey.Owner.ledgerRoot`).
        let owner: LeaseKey.Owner = root.isEmpty ? .shared : .project(root: text(root, .root))
        let key = LeaseKey(owner: owner, service: text(service, .service), portName: text(portName, .portName),
                           instance: text(instance, .instance))
        return (Lease(key: key, project: fields.project.map { text($0, .project) } ?? "",
                      manifest: fields.manifest.map { text($0, .manifest) } ?? "", port: Int(port), transport: transport,
                      createdAt: created, refreshedAt: refreshed, expiresAt: expiry, ttl: lifetime, retiredPorts: fields.retired,
                      preferred: fields.preferred.map(Int.init)), raw, span)
    }

    /// A lease as any JSON object: keys in any order, space, escapes, unknown keys.
    private mutating func anyLease(_ fields: inout Fields) throws(LedgerCodec.Problem) {
        try object { (scanner: inout LedgerScanner, key: Key) throws(LedgerCodec.Problem) in
            switch Field(key) {
            case .root: fields.raw.root = try scanner.rawString()
            case .service: fields.raw.service = try scanner.rawString()
            case .portName: fields.raw.portName = try scanner.rawString()
            case .instance: fields.raw.instance = try scanner.rawString()
            case .project: fields.project = try scanner.optionalRawString()
            case .manifest: fields.manifest = try scanner.optionalRawString()
            case .transport: fields.transport = try scanner.optionalRawString()
            case .port: fields.port = try scanner.integer()
            case .created: fields.created = try scanner.time()
            case .refreshed: fields.refreshed = try scanner.time()
            case .expires: fields.expires = try scanner.time()
            case .ttl: fields.ttl = try scanner.optionalInteger()
            case .preferred: fields.preferred = try scanner.optionalInteger()
            case .retired:
                fields.retired = []  // a key given twice: the last one counts, as for every field
                try scanner.array { (scanner: inout LedgerScanner) throws(LedgerCodec.Problem) in
                    guard let value = try scanner.integer(), (1...65535).contains(value) else { throw scanner.fail("bad retired port") }
                    fields.retired.append(Int(value))
                }
            case .unknown: try scanner.skipValue(depth: 3)  // the file's object, `leases`, the lease
            }
        }
    }

    /// The transport a `protocol` value names, spelt as `Transport`'s raw values; nil for any
    /// other. Every lease is checked, so this compares bytes rather than making a string.
    private static func transport(_ bytes: Key) -> Transport? {
        let text = bytes.slice
        guard text.count == 3, text[2] == UInt8(ascii: "p") else { return nil }
        switch (text[0], text[1]) {
        case (UInt8(ascii: "t"), UInt8(ascii: "c")): return .tcp
        case (UInt8(ascii: "u"), UInt8(ascii: "d")): return .udp
        default: return nil
        }
    }

    /// The string of `bytes`, reused from the previous lease's `field` when the bytes are the same.
    /// (Keys point into the file or the arena, both alive as long as the scanner.)
    private mutating func text(_ bytes: Key, _ field: TextField) -> String {
        if let last = recent[field.rawValue], last.bytes == bytes { return last.text }
        let made = bytes.text
        recent[field.rawValue] = (bytes, made)
        return made
    }

    // MARK: JSON pieces

    /// A string's bytes: a slice of the file, or of the arena for strings that had escapes. Plain
    /// data, so passing keys around costs no reference counting.
    struct Key: ExpressibleByStringLiteral, Equatable {
        var slice: UnsafeBufferPointer<UInt8>

        init(stringLiteral value: StaticString) {
            slice = UnsafeBufferPointer(start: value.utf8Start, count: value.utf8CodeUnitCount)
        }

        init(slice: UnsafeBufferPointer<UInt8>) {
            self.slice = slice
        }

        static func == (a: Key, b: Key) -> Bool { compare(a, b) == 0 }

        static func ~= (pattern: Key, value: Key) -> Bool { pattern == value }

        var text: String { String(decoding: slice, as: UTF8.self) }

        var isEmpty: Bool { slice.isEmpty }

        func equals(_ bytes: [UInt8]) -> Bool {
            bytes.withUnsafeBufferPointer { Key.compare(self, Key(slice: $0)) == 0 }
        }

        /// Byte order, the order Styxy writes keys in; -1, 0 or 1.
        static func compare(_ a: Key, _ b: Key) -> Int {
            ByteOrder.compare(a.slice, b.slice)
        }
    }

    /// Decoded copies of strings that had escapes, alive as long as the scanner.
    final class Arena {
        var blocks: [UnsafeMutableBufferPointer<UInt8>] = []

        func keep(_ bytes: [UInt8]) -> Key {
            let block = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, bytes.count))
            _ = block.initialize(from: bytes)
            blocks.append(block)
            return Key(slice: UnsafeBufferPointer(start: block.baseAddress, count: bytes.count))
        }

        deinit {
            for block in blocks { block.deallocate() }
        }
    }

    /// A lease key as slices of the file, compared in the order Styxy sorts keys (bytes).
    struct RawKey {
        var root, service, portName, instance: Key?

        /// -1, 0 or 1; a missing part sorts first.
        func compare(_ other: RawKey) -> Int {
            func part(_ a: Key?, _ b: Key?) -> Int {
                guard let a, let b else { return a == nil ? (b == nil ? 0 : -1) : 1 }
                return Key.compare(a, b)
            }
            let root = part(self.root, other.root)
            if root != 0 { return root }
            let instance = part(self.instance, other.instance)
            if instance != 0 { return instance }
            let service = part(self.service, other.service)
            return service != 0 ? service : part(self.portName, other.portName)
        }
    }

    mutating func skipSpace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x0a, 0x0d, 0x09: offset += 1
            default: return
            }
        }
    }

    mutating func expect(_ byte: UInt8) throws(LedgerCodec.Problem) {
        skipSpace()
        guard offset < bytes.count, bytes[offset] == byte else { throw fail("expected '\(Character(Unicode.Scalar(byte)))'") }
        offset += 1
    }

    /// True (and consumed) when the next byte is `byte`.
    mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        if offset < bytes.count, bytes[offset] == byte { offset += 1; return true }
        return false
    }

    mutating func object(_ member: (inout LedgerScanner, Key) throws(LedgerCodec.Problem) -> Void) throws(LedgerCodec.Problem) {
        try expect(0x7b)
        if take(0x7d) { return }
        repeat {
            skipSpace()
            let key = try rawString()
            try expect(0x3a)
            skipSpace()
            try member(&self, key)
        } while take(0x2c)
        try expect(0x7d)
    }

    mutating func array(_ element: (inout LedgerScanner) throws(LedgerCodec.Problem) -> Void) throws(LedgerCodec.Problem) {
        try expect(0x5b)
        if take(0x5d) { return }
        repeat {
            skipSpace()
            try element(&self)
        } while take(0x2c)
        try expect(0x5d)
    }

    /// A string's bytes when it has no escapes (the common case), else its decoded text.
    mutating func rawString() throws(LedgerCodec.Problem) -> Key {
        guard offset < bytes.count, bytes[offset] == 0x22 else { throw fail("expected a string") }
        let start = offset + 1
        switch JSONBytes.scanString(bytes, from: start) {
        case .plain(let end):
            // Without a backslash the bytes are the text.
            offset = end + 1
            return Key(slice: UnsafeBufferPointer(rebasing: bytes[start..<end]))
        case .control: throw fail("a control character in a string")
        case .unterminated: throw fail("invalid string")
        case .escaped: break
        }
        // Escapes: decode this one string into the arena.
        guard let end = closingQuote(from: start), let text = JSONBytes.unescape(UnsafeBufferPointer(rebasing: bytes[start..<end])) else {
            throw fail("invalid string")
        }
        offset = end + 1
        return arena.keep(text)
    }

    /// Where the string whose text starts at `start` ends (its quote), stepping over escapes.
    func closingQuote(from start: Int) -> Int? {
        var index = start
        while index < bytes.count, bytes[index] != 0x22 { index += bytes[index] == 0x5c ? 2 : 1 }
        return index < bytes.count ? index : nil
    }

    mutating func optionalRawString() throws(LedgerCodec.Problem) -> Key? {
        if takeNull() { return nil }
        return try rawString()
    }

    mutating func string() throws(LedgerCodec.Problem) -> String? {
        if takeNull() { return nil }
        let raw = try rawString()
        return raw.text
    }

    /// Inlined: it runs for every nullable field of every lease in the ledger.
    @inline(__always)
    mutating func takeNull() -> Bool {
        if offset + 4 <= bytes.count, bytes[offset] == 0x6e, bytes[offset + 1] == 0x75, bytes[offset + 2] == 0x6c, bytes[offset + 3] == 0x6c {
            offset += 4
            return true
        }
        return false
    }

    mutating func integer() throws(LedgerCodec.Problem) -> Int64? {
        if takeNull() { return nil }
        var negative = false
        if offset < bytes.count, bytes[offset] == 0x2d { negative = true; offset += 1 }
        // JSON has no leading zeros: `0` and `-0`, never `007`.
        if offset + 1 < bytes.count, bytes[offset] == 0x30, bytes[offset + 1] >= 0x30, bytes[offset + 1] <= 0x39 {
            throw fail("a number with a leading zero")
        }
        // Counted downwards, so the whole Int64 range reads, -9223372036854775808 included. Up to
        // 18 digits cannot overflow, and every number Styxy writes but the extremes is shorter.
        var value: Int64 = 0
        var digits = 0
        while offset < bytes.count, digits < 18, let digit = ASCII.digitValue(bytes[offset]) {
            value = value * 10 - Int64(digit)
            offset += 1
            digits += 1
        }
        while offset < bytes.count, let digit = ASCII.digitValue(bytes[offset]) {
            let (shifted, over) = value.multipliedReportingOverflow(by: 10)
            let (next, under) = shifted.subtractingReportingOverflow(Int64(digit))
            guard !over, !under else { throw fail("a number beyond 64 bits") }
            value = next
            offset += 1
            digits += 1
        }
        guard digits > 0 else { throw fail("expected a whole number") }
        if offset < bytes.count, bytes[offset] == 0x2e || bytes[offset] == 0x65 || bytes[offset] == 0x45 {
            throw fail("expected a whole number")
        }
        if negative { return value }
        guard value != .min else { throw fail("a number beyond 64 bits") }
        return -value
    }

    mutating func optionalInteger() throws(LedgerCodec.Problem) -> Int64? {
        try integer()
    }

    /// Epoch seconds as Styxy writes them, or an RFC 3339 UTC string as a person might; nil for
    /// null. A string that is not a time reads as `Int64.min`, which `lease` refuses as before 1970.
    mutating func time() throws(LedgerCodec.Problem) -> Int64? {
        guard offset < bytes.count, bytes[offset] == 0x22 else { return try integer() }
        return try string().flatMap(Timestamp.parse) ?? Int64.min
    }

    /// Skips any JSON value (unknown keys), checking it is one: a file that is not JSON is damaged
    /// wherever the fault lies. `depth` counts from the file's object, as in every reader of ours:
    /// at 64 levels a file of a million `[` is refused instead of overflowing the stack.
    mutating func skipValue(depth: Int) throws(LedgerCodec.Problem) {
        skipSpace()
        guard offset < bytes.count else { throw fail("unexpected end of data") }
        guard depth < 64 else { throw fail("values nested too deeply") }
        switch bytes[offset] {
        case 0x7b: try object { (scanner: inout LedgerScanner, _: Key) throws(LedgerCodec.Problem) in try scanner.skipValue(depth: depth + 1) }
        case 0x5b: try array { (scanner: inout LedgerScanner) throws(LedgerCodec.Problem) in try scanner.skipValue(depth: depth + 1) }
        case 0x22:
            // What an unknown field holds is not this version's business, but it must be a string.
            guard let end = closingQuote(from: offset + 1),
                  JSONBytes.unescape(UnsafeBufferPointer(rebasing: bytes[(offset + 1)..<end])) != nil
            else { throw fail("invalid string") }
            offset = end + 1
        default:
            let start = offset
            while offset < bytes.count, !",]} \n\r\t".utf8.contains(bytes[offset]) { offset += 1 }
            let word = UnsafeBufferPointer(rebasing: bytes[start..<offset])
            guard JSONBytes.isLiteral(word) || JSONBytes.isNumber(word) else { throw fail("invalid value") }
        }
    }
}
