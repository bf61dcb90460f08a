import StyxyCore

/// A YAML node with the place it was written. Scalars keep their text and whether they were quoted,
/// so each field decides what a scalar means (`"8000"` is not a number where a number is wanted).
struct YAMLNode: Sendable {
    enum Kind: Sendable {
        case scalar(String, quoted: Bool)
        case mapping([(key: YAMLNode, value: YAMLNode)])
        case sequence([YAMLNode])
    }

    var kind: Kind
    var location: SourceLocation
    /// An explicit tag (`!!str`); nil for the common case.
    var tag: String?

    /// Human words for what this node is, for "expected X, found Y" messages.
    var describedKind: String {
        switch kind {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let text, let quoted):
            if !quoted && YAMLNode.nullSpellings.contains(text) { return "null" }
            let shown = YAMLNode.printable(text)
            return quoted ? "the string \"\(shown)\"" : "'\(shown)'"
        }
    }

    /// Text safe to put in a one-line message: control characters escaped, long text cut.
    static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(80) {
            switch scalar {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f || (0x80..<0xa0).contains(scalar.value):
                out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return text.unicodeScalars.count > 80 ? out + "..." : out
    }

    static let nullSpellings: Set<String> = ["", "~", "null", "Null", "NULL"]

    var scalarText: String? {
        if case .scalar(let text, _) = kind { return text }
        return nil
    }

    var isNull: Bool {
        if case .scalar(let text, let quoted) = kind { return !quoted && YAMLNode.nullSpellings.contains(text) }
        return false
    }
}
