import StyxyCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The reader's fast path: a lease laid out as the writer writes it, matched as runs of bytes.
extension LedgerScanner {
    /// Reads a lease laid out exactly as `LedgerCodec.encode` writes it (keys in its order, no
    /// space, strings without escapes), matching each key with its punctuation as one run of
    /// bytes: about a third of the work of reading any JSON object, and nearly every lease of a
    /// ledger is like this. False at the first difference, leaving the rest to `anyLease`, so
    /// what it accepts is exactly what `anyLease` would make of the same bytes.
    mutating func writtenLease(_ fields: inout Fields) -> Bool {
        guard literal("{\"root\":\""), let root = plainString(),
              literal(",\"service\":\""), let service = plainString(),
              literal(",\"port_name\":\""), let portName = plainString(),
              literal(",\"instance\":\""), let instance = plainString(),
              literal(",\"port\":"), let port = number(),
              literal(",\"protocol\":\""), let transport = plainString(),
              literal(",\"project\":\""), let project = plainString(),
              literal(",\"manifest\":\""), let manifest = plainString(),
              literal(",\"created_at\":"), let created = number(),
              literal(",\"refreshed_at\":"), let refreshed = number(),
              literal(",\"expires_at\":"), let expires = numberOrNull(),
              literal(",\"ttl_seconds\":"), let ttl = numberOrNull()
        else { return false }
        fields.raw = RawKey(root: root, service: service, portName: portName, instance: instance)
        (fields.port, fields.transport, fields.project, fields.manifest) = (port, transport, project, manifest)
        (fields.created, fields.refreshed, fields.expires, fields.ttl) = (created, refreshed, expires, ttl)
        if literal(",\"preferred\":") {
            guard let preferred = number() else { return false }
            fields.preferred = preferred
        }
        if literal(",\"retired_ports\":[") {
            repeat {
                guard let port = number(), (1...65535).contains(port) else { return false }
                fields.retired.append(Int(port))
            } while literal(",")
            guard literal("]") else { return false }
        }
        return literal("}")
    }

    /// True (and consumed) when the bytes at `offset` are `text`.
    @inline(__always)
    mutating func literal(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard offset + count <= bytes.count, let base = bytes.baseAddress, memcmp(base + offset, text.utf8Start, count) == 0 else { return false }
        offset += count
        return true
    }

    /// The text of a string whose opening quote `literal` took, when it has no escape or control
    /// character (then its bytes are its text); nil otherwise.
    mutating func plainString() -> Key? {
        guard case .plain(let end) = JSONBytes.scanString(bytes, from: offset) else { return nil }
        let key = Key(slice: UnsafeBufferPointer(rebasing: bytes[offset..<end]))
        offset = end + 1
        return key
    }

    /// A whole number without a sign, as the writer spells every number it writes; nil for
    /// anything else (`-0`, `null`, what `integer` would refuse).
    mutating func number() -> Int64? {
        guard offset < bytes.count, ASCII.digitValue(bytes[offset]) != nil else { return nil }
        return try? integer()
    }

    func contains(_ byte: UInt8, in range: Range<Int>) -> Bool {
        guard let base = bytes.baseAddress, !range.isEmpty else { return false }
        return memchr(base + range.lowerBound, Int32(byte), range.count) != nil
    }

    /// A whole number or null (`.some(nil)`); nil when it is neither.
    mutating func numberOrNull() -> Int64?? {
        if takeNull() { return .some(nil) }
        guard let value = number() else { return nil }
        return .some(value)
    }
}
