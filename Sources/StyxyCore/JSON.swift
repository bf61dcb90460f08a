/// A small JSON value with ordered objects, and a byte-level reader and writer.
///
/// Styxy's ledger and every `--json` report go through this instead of Foundation's coders: key
/// order is the order written (stable output for scripts and diffs), and reading a ledger of
/// thousands of leases stays a single pass over bytes, which matters for a command run on every
/// `npm run dev`.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// A number written without a fraction or an exponent that fits 64 bits: read exactly, where a
    /// `Double` would round anything past 2^53.
    case integer(Int64)
    /// Any other number.
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.integer(x), .integer(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public static func int(_ value: Int) -> JSONValue { .integer(Int64(value)) }
    public static func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }

    public subscript(key: String) -> JSONValue? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var intValue: Int? {
        switch self {
        case .integer(let value): return Int(exactly: value)
        case .number(let d) where d == d.rounded() && abs(d) < 9.0e15: return Int(d)
        default: return nil
        }
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
}

// MARK: - Writing

extension JSONValue {
    /// Two-space indented JSON with a final newline; `compact` writes one line.
    public func serialized(compact: Bool = false) -> String {
        String(decoding: bytes(compact: compact), as: UTF8.self)
    }

    /// What `serialized` returns, as UTF-8. Writing goes to bytes: appending to a `String` piece
    /// by piece costs several times more, which a 10,000-lease ledger or listing pays in full.
    public func bytes(compact: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out, indent: compact ? nil : 0)
        if !compact { out.append(0x0A) }
        return out
    }

    private func write(into out: inout [UInt8], indent: Int?) {
        switch self {
        case .null: out.append(ascii: "null")
        case .bool(let b): out.append(ascii: b ? "true" : "false")
        case .integer(let value): out.append(decimal: value)
        case .number(let d):
            if d == d.rounded(), abs(d) < 9.0e15 { out.append(decimal: Int64(d)) } else { out.append(contentsOf: "\(d)".utf8) }
        case .string(let s): JSONValue.quote(s, into: &out)
        case .array(let items):
            if items.isEmpty { out.append(ascii: "[]"); return }
            out.append(0x5B)
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(0x2C) }
                JSONValue.newline(&out, indent.map { $0 + 1 })
                item.write(into: &out, indent: indent.map { $0 + 1 })
            }
            JSONValue.newline(&out, indent)
            out.append(0x5D)
        case .object(let pairs):
            if pairs.isEmpty { out.append(ascii: "{}"); return }
            out.append(0x7B)
            for (index, (key, value)) in pairs.enumerated() {
                if index > 0 { out.append(0x2C) }
                JSONValue.newline(&out, indent.map { $0 + 1 })
                JSONValue.quote(key, into: &out)
                out.append(ascii: indent == nil ? ":" : ": ")
                value.write(into: &out, indent: indent.map { $0 + 1 })
            }
            JSONValue.newline(&out, indent)
            out.append(0x7D)
        }
    }

    private static func newline(_ out: inout [UInt8], _ indent: Int?) {
        guard let indent else { return }
        out.append(0x0A)
        out.append(contentsOf: repeatElement(0x20, count: 2 * indent))
    }

    /// A JSON string literal, quotes included, appended as UTF-8.
    public static func quote(_ s: String, into out: inout [UInt8]) {
        out.append(0x22)
        // Most strings need no escape at all (0xE2 starts U+2028 and U+2029, escaped below); they
        // are checked and copied over their contiguous UTF-8, the cheapest way Swift offers.
        var text = s
        let copied = text.withUTF8 { buffer in
            for byte in buffer where byte == 0x22 || byte == 0x5c || byte < 0x20 || byte == 0xE2 { return false }
            out.append(contentsOf: buffer)
            return true
        }
        if copied {
            out.append(0x22)
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append(ascii: "\\\"")
            case "\\": out.append(ascii: "\\\\")
            case "\n": out.append(ascii: "\\n")
            case "\r": out.append(ascii: "\\r")
            case "\t": out.append(ascii: "\\t")
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
            default: UTF8.encode(scalar) { out.append($0) }
            }
        }
        out.append(0x22)
    }

    public static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        quote(s, into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    /// Appends text the program itself spells (keys, punctuation) as UTF-8.
    public mutating func append(ascii text: StaticString) {
        text.withUTF8Buffer { append(contentsOf: $0) }
    }

    /// Appends an integer in decimal, without making a `String` of it.
    public mutating func append(decimal value: Int64) {
        if value < 0 { append(0x2D) }
        var magnitude = value.magnitude
        let start = count
        repeat {
            append(0x30 + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        self[start...].reverse()
    }

    public mutating func append(decimal value: Int) { append(decimal: Int64(value)) }
}

// MARK: - Reading

public struct JSONParseError: Error, CustomStringConvertible, Sendable {
    public var offset: Int
    public var message: String
    public var description: String { "\(message) at byte \(offset)" }
}

extension JSONValue {
    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        var reader = JSONReader(bytes: bytes)
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        if reader.offset != bytes.count { throw reader.error("unexpected data after the JSON value") }
        return value
    }
}

private struct JSONReader {
    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func error(_ message: String) -> JSONParseError { JSONParseError(offset: offset, message: message) }

    mutating func skipSpace() {
        while offset < bytes.count, [0x20, 0x0a, 0x0d, 0x09].contains(bytes[offset]) { offset += 1 }
    }

    mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth < 64 else { throw error("nesting too deep") }
        skipSpace()
        guard offset < bytes.count else { throw error("unexpected end of data") }
        switch bytes[offset] {
        case UInt8(ascii: "{"):
            offset += 1
            var pairs: [(String, JSONValue)] = []
            skipSpace()
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") { offset += 1; return .object(pairs) }
            while true {
                skipSpace()
                guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw error("expected a key") }
                let key = try string()
                skipSpace()
                try expect(UInt8(ascii: ":"))
                pairs.append((key, try value(depth: depth + 1)))
                skipSpace()
                if try endOrComma(UInt8(ascii: "}")) { return .object(pairs) }
            }
        case UInt8(ascii: "["):
            offset += 1
            var items: [JSONValue] = []
            skipSpace()
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") { offset += 1; return .array(items) }
            while true {
                items.append(try value(depth: depth + 1))
                skipSpace()
                if try endOrComma(UInt8(ascii: "]")) { return .array(items) }
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            return try number()
        }
    }

    mutating func expect(_ byte: UInt8) throws(JSONParseError) {
        guard offset < bytes.count, bytes[offset] == byte else { throw error("expected '\(Character(Unicode.Scalar(byte)))'") }
        offset += 1
    }

    mutating func endOrComma(_ end: UInt8) throws(JSONParseError) -> Bool {
        guard offset < bytes.count else { throw error("unexpected end of data") }
        if bytes[offset] == end { offset += 1; return true }
        try expect(UInt8(ascii: ","))
        return false
    }

    mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        guard offset + count <= bytes.count else { throw error("unexpected end of data") }
        let matches = word.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[offset + $0] == expected[$0] }
        }
        guard matches else { throw error("unexpected literal") }
        offset += count
    }

    /// RFC 8259's number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, nothing looser (no `+1`,
    /// `.5`, `1.`, `01`, `nan`). Without a fraction or an exponent it is an integer, kept exact when
    /// it fits 64 bits.
    mutating func number() throws(JSONParseError) -> JSONValue {
        let start = offset
        func digits() -> Int {
            let first = offset
            while offset < bytes.count, bytes[offset] >= 0x30, bytes[offset] <= 0x39 { offset += 1 }
            return offset - first
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        let integerStart = offset
        let integerDigits = digits()
        guard integerDigits > 0, bytes[integerStart] != UInt8(ascii: "0") || integerDigits == 1 else {
            offset = start
            throw error(integerDigits == 0 ? "expected a value" : "a number with a leading zero")
        }
        var isInteger = true
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            isInteger = false
            guard digits() > 0 else { throw error("expected a digit after the decimal point") }
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            offset += 1
            isInteger = false
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            guard digits() > 0 else { throw error("expected a digit in the exponent") }
        }
        let text = String(decoding: bytes[start..<offset], as: UTF8.self)
        if isInteger, let exact = Int64(text) { return .integer(exact) }
        guard let value = Double(text) else { throw error("expected a value") }
        return .number(value)
    }

    mutating func string() throws(JSONParseError) -> String {
        offset += 1
        let start = offset
        // Fast path: no escapes.
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: bytes[start..<offset], as: UTF8.self)
                offset += 1
                return text
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            offset += 1
        }
        var scalars = Array(bytes[start..<offset])
        while offset < bytes.count {
            let byte = bytes[offset]
            offset += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: scalars, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard offset < bytes.count else { throw error("unfinished escape") }
                let escape = bytes[offset]
                offset += 1
                switch escape {
                case UInt8(ascii: "n"): scalars.append(0x0a)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "r"): scalars.append(0x0d)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0c)
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escape)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code), offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"),
                       bytes[offset + 1] == UInt8(ascii: "u") {
                        offset += 2
                        let low = try hex4()
                        // A high surrogate must pair with a low one; anything else is an error, not a trap.
                        guard (0xDC00..<0xE000).contains(low) else { throw error("invalid \\u surrogate pair") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("invalid \\u escape") }
                    scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: throw error("invalid escape")
                }
            default:
                guard byte >= 0x20 else { throw error("control character in a string") }
                scalars.append(byte)
            }
        }
        throw error("unfinished string")
    }

    mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw error("invalid \\u escape") }
        var code: UInt32 = 0
        for byte in bytes[offset..<offset + 4] {
            // Hex digits only: the integer parser would also take a sign (`\u+041`).
            guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else { throw error("invalid \\u escape") }
            code = code << 4 | UInt32(digit)
        }
        offset += 4
        return code
    }
}
