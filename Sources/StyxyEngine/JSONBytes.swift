import StyxyCore

/// The ledger reader's checks on raw JSON text. They are here rather than borrowed from the
/// general JSON reader so that every byte of the ledger goes through code the fuzzer holds to the
/// writer (the general one trapped on a high surrogate followed by a non-surrogate escape).
enum JSONBytes {
    /// True when `bytes` are valid UTF-8: a word-at-a-time look for any byte above 0x7F (a ledger
    /// is mostly ASCII), and the standard library's validation only when there is one.
    static func isUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        // 32 bytes a step: a warm resolve reads every byte of a ledger of thousands of leases.
        let raw = UnsafeRawPointer(base)
        var index = 0
        while index + 32 <= bytes.count {
            let any = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) | raw.loadUnaligned(fromByteOffset: index + 8, as: UInt64.self)
                | raw.loadUnaligned(fromByteOffset: index + 16, as: UInt64.self) | raw.loadUnaligned(fromByteOffset: index + 24, as: UInt64.self)
            if any & 0x8080_8080_8080_8080 != 0 { break }
            index += 32
        }
        while index < bytes.count, bytes[index] < 0x80 { index += 1 }
        if index == bytes.count { return true }
        return String(validating: UnsafeBufferPointer(rebasing: bytes[index...]), as: UTF8.self) != nil
    }

    /// What ends a string's text read from `start` (just after its opening quote).
    enum StringEnd: Equatable {
        /// The closing quote at this index, with no escape and no control character before it.
        case plain(Int)
        /// A backslash comes first: the string needs decoding.
        case escaped
        /// A raw control character comes first, which JSON allows only escaped.
        case control
        /// Neither a quote nor a backslash before the end of the data.
        case unterminated
    }

    /// Finds the first quote, backslash or byte below 0x20 from `start`, eight bytes a step: a
    /// ledger is mostly short strings, and one pass over each replaces two `memchr` calls and a
    /// third look for control characters. In a word, a byte equal to `c` is a zero byte of
    /// `word ^ c`, found with the usual `(x - 0x01…) & ~x & 0x80…`, and a byte below 0x20 the one
    /// that borrows in `(word - 0x20…) & ~word & 0x80…`; the lowest flagged byte is the first match
    /// (only bytes above it can be flagged by a borrow).
    @inline(__always)
    static func scanString(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> StringEnd {
        guard let base = bytes.baseAddress else { return .unterminated }
        let raw = UnsafeRawPointer(base)
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        var index = start
        while index + 8 <= bytes.count {
            // Little-endian order, so the lowest bits are the first byte on any machine.
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let quote = word ^ (0x22 &* ones), backslash = word ^ (0x5C &* ones)
            let found = ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash | (word &- 0x20 &* ones) & ~word) & highs
            if found != 0 {
                index += found.trailingZeroBitCount / 8
                break
            }
            index += 8
        }
        while index < bytes.count {
            switch bytes[index] {
            case 0x22: return .plain(index)
            case 0x5C: return .escaped
            case 0..<0x20: return .control
            default: index += 1
            }
        }
        return .unterminated
    }

    /// `true`, `false` or `null`.
    static func isLiteral(_ word: UnsafeBufferPointer<UInt8>) -> Bool {
        ["true", "false", "null"].contains { word.elementsEqual($0.utf8) }
    }

    /// RFC 8259's number, `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, and nothing looser.
    static func isNumber(_ word: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        func digits() -> Int {
            let start = index
            while index < word.count, word[index] >= 0x30, word[index] <= 0x39 { index += 1 }
            return index - start
        }
        if index < word.count, word[index] == 0x2d { index += 1 }
        let first = index
        let whole = digits()
        guard whole == 1 || (whole > 1 && word[first] != 0x30) else { return false }
        if index < word.count, word[index] == 0x2e {
            index += 1
            guard digits() > 0 else { return false }
        }
        if index < word.count, word[index] == 0x65 || word[index] == 0x45 {
            index += 1
            if index < word.count, word[index] == 0x2b || word[index] == 0x2d { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == word.count
    }

    /// The UTF-8 of a string body with JSON escapes; nil for a bad escape, a lone surrogate or a
    /// raw control character.
    static func unescape(_ body: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        func hex4(at start: Int) -> UInt32? {
            guard start + 4 <= body.count else { return nil }
            var value: UInt32 = 0
            for byte in body[start..<start + 4] {
                guard let digit = ASCII.hexValue(byte) else { return nil }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
        var index = 0
        while index < body.count {
            let byte = body[index]
            index += 1
            guard byte >= 0x20 else { return nil }  // JSON holds control characters only escaped
            guard byte == 0x5c else { out.append(byte); continue }
            guard index < body.count else { return nil }
            let escape = body[index]
            index += 1
            switch escape {
            case 0x22, 0x5c, 0x2f: out.append(escape)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0c)
            case 0x6e: out.append(0x0a)
            case 0x72: out.append(0x0d)
            case 0x74: out.append(0x09)
            case 0x75:
                guard var code = hex4(at: index) else { return nil }
                index += 4
                if (0xD800..<0xDC00).contains(code) {
                    guard index + 6 <= body.count, body[index] == 0x5c, body[index + 1] == 0x75, let low = hex4(at: index + 2),
                          (0xDC00..<0xE000).contains(low)
                    else { return nil }
                    index += 6
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { return nil }
                UTF8.encode(scalar) { out.append($0) }
            default: return nil
            }
        }
        return out
    }
}
