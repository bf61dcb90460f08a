/// Quoted literals for the formats Styxy writes: its outputs, and the manifest `init` proposes. Each result is complete, quotes
/// included, so a template writes `{{name_json}}` rather than `"{{name}}"` and cannot forget
/// a quote. The render context carries these as `x_json`, `x_shell`, `x_dotenv` and `x_yaml`.
public enum Quoting {
    /// A JSON string literal, as `JSON.parse` and `json.loads` read it.
    public static func json(_ string: String) -> String {
        JSONValue.quoted(string)
    }

    /// A single-quoted word for sh, bash and zsh: nothing inside single quotes is special, so the
    /// only character to handle is the single quote itself, closed, escaped and reopened.
    public static func shell(_ string: String) -> String {
        var out = "'"
        for character in string.unicodeScalars {
            if character == "'" { out += #"'\''"# } else { out.unicodeScalars.append(character) }
        }
        return out + "'"
    }

    /// A `.env` value that python-dotenv and Compose's env_file parser both read back exactly.
    ///
    /// Single quotes where possible: both parsers take `'…'` literally (no `$` expansion in Compose,
    /// no escapes in either) as long as the text holds no `'` and no backslash. Otherwise double
    /// quotes with `\\`, `\"`, `\n`, `\r`, `\t`, which both decode. Known limits, documented in
    /// docs/templates.md: python-dotenv expands `${NAME}` in every value (it has no escape for it),
    /// Compose expands `$NAME` inside double quotes, and neither accepts a value ending in a backslash.
    public static func dotenv(_ string: String) -> String {
        let needsEscapes = string.unicodeScalars.contains { $0 == "'" || $0 == "\\" || isControl($0) }
        guard needsEscapes else { return "'" + string + "'" }
        return doubleQuoted(string) { _ in nil }
    }

    /// A YAML double-quoted scalar: the one YAML style where every character can be written, by
    /// escape if need be, and which no plain-scalar rule (`: `, ` #`, `yes`, leading `*`) can reinterpret.
    public static func yaml(_ string: String) -> String {
        doubleQuoted(string) { scalar in
            if isControl(scalar) || (0x80...0x9F).contains(scalar.value) { return #"\x"# + hex(scalar.value, width: 2) }
            // Line and paragraph separators end a line for some readers; YAML does not allow U+FFFE
            // and U+FFFF in a document at all; a BOM inside one is easy to lose.
            if [0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF].contains(scalar.value) { return #"\u"# + hex(scalar.value, width: 4) }
            return nil
        }
    }

    /// Double quotes with the escapes dotenv parsers and YAML share, plus whatever `escape` adds.
    private static func doubleQuoted(_ string: String, escape: (Unicode.Scalar) -> String?) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\\": out += #"\\"#
            case "\"": out += #"\""#
            case "\n": out += #"\n"#
            case "\r": out += #"\r"#
            case "\t": out += #"\t"#
            default:
                if let escaped = escape(scalar) { out += escaped } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
