/// A 128-bit content fingerprint (two independent 64-bit FNV-1a lanes), for caches that must
/// notice any change to a file or a context. Not for anything an adversary chooses.
public struct Digest: Sendable {
    private var a: UInt64 = 0xcbf2_9ce4_8422_2325
    private var b: UInt64 = 0x6c62_272e_07bb_0142
    private var count: UInt64 = 0

    public init() {}

    public mutating func add(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { add(byte: byte) }
    }

    mutating func add(byte: UInt8) {
        a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        b = (b ^ UInt64(byte) ^ (count & 0xff)) &* 0x0000_0100_0000_01b3
        count &+= 1
    }

    public mutating func add(_ text: String) {
        add(text.utf8)
        // A separator, so ("ab", "c") and ("a", "bc") differ.
        add(CollectionOfOne(UInt8(0)))
    }

    public var hex: String {
        func word(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        return word(a) + word(b ^ count)
    }

    public static func of(_ bytes: [UInt8]) -> String {
        var digest = Digest()
        digest.add(bytes)
        return digest.hex
    }
}
