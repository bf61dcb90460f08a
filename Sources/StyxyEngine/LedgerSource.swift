/// The bytes a whole ledger was read from and the leases read from them, in the file's order
/// (key order). A lease whose bytes are exactly what `LedgerCodec.encode` writes for it has them
/// recorded, so a write copies them instead of encoding 10,000 unchanged leases again; any lease
/// written some other way (by hand, by an older Styxy, with escapes, a time as text) has none and
/// is encoded as before. What is copied was checked by the reader like every other byte.
final class LedgerSource: Sendable {
    let bytes: [UInt8]
    let leases: [Lease]
    /// Where each lease's object (`{` to `}`) lies in `bytes`; nil when it must be encoded afresh.
    let spans: [Range<Int>?]

    init(bytes: [UInt8], leases: [Lease], spans: [Range<Int>?]) {
        self.bytes = bytes
        self.leases = leases
        self.spans = spans
    }

    /// Finds in key order: each call's key must not sort before the previous call's.
    struct Cursor {
        var next = 0

        /// The bytes of `lease` as the source holds them, when the source has this exact lease.
        mutating func bytes(of lease: Lease, in source: LedgerSource) -> ArraySlice<UInt8>? {
            while next < source.leases.count, source.leases[next].key < lease.key { next += 1 }
            guard next < source.leases.count, let span = source.spans[next], source.leases[next] == lease else { return nil }
            return source.bytes[span]
        }
    }
}
