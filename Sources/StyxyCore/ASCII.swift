/// ASCII character classes. Names, variables and numbers in manifests, ledgers and kernel tables
/// are defined over ASCII, where `Character.isLetter` and friends would also admit `é` or `٣`.
/// The scalar forms are for code that walks `unicodeScalars`; any scalar past ASCII is in no class.
public enum ASCII {
    @inline(__always) public static func isLower(_ byte: UInt8) -> Bool { byte &- 0x61 < 26 }
    @inline(__always) public static func isUpper(_ byte: UInt8) -> Bool { byte &- 0x41 < 26 }
    @inline(__always) public static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }
    @inline(__always) public static func isLetter(_ byte: UInt8) -> Bool { isLower(byte) || isUpper(byte) }
    @inline(__always) public static func isAlphanumeric(_ byte: UInt8) -> Bool { isLetter(byte) || isDigit(byte) }

    /// The value of a decimal digit, or nil.
    @inline(__always) public static func digitValue(_ byte: UInt8) -> UInt8? { isDigit(byte) ? byte &- 0x30 : nil }

    /// The value of a hexadecimal digit (either case), or nil.
    @inline(__always) public static func hexValue(_ byte: UInt8) -> UInt8? {
        if isDigit(byte) { return byte &- 0x30 }
        let folded = byte | 0x20  // 'A'...'F' to 'a'...'f'; leaves digits and most else alone
        return folded &- 0x61 < 6 ? folded &- 0x61 &+ 10 : nil
    }

    public static func isLower(_ scalar: Unicode.Scalar) -> Bool { scalar.isASCII && isLower(UInt8(scalar.value)) }
    public static func isUpper(_ scalar: Unicode.Scalar) -> Bool { scalar.isASCII && isUpper(UInt8(scalar.value)) }
    public static func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar.isASCII && isDigit(UInt8(scalar.value)) }
    public static func isLetter(_ scalar: Unicode.Scalar) -> Bool { scalar.isASCII && isLetter(UInt8(scalar.value)) }
    public static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool { scalar.isASCII && isAlphanumeric(UInt8(scalar.value)) }
}
