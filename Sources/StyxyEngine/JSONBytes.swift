import StyxyCore

/// The ledger reader's two checks on raw JSON text. They are here rather than borrowed from the
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

    /// The UTF-8 of a string body with JSON escapes; nil for a bad escape or a lone surrogate.
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
