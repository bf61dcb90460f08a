/// Text from outside Styxy's own code (a process's command line or folder, a value or key from a
/// project's file) made safe to print on one line of a terminal: control characters become
/// visible escapes (`\n`, `\t`, `\r`, `\u{1b}`), so such text can neither break a line or a table
/// row nor send escape sequences to the user's terminal. JSON output keeps the raw text; its
/// encoder escapes what JSON needs.
public enum PrintableText {
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where needsEscape(scalar): out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// C0 and C1 controls, DEL, and the line and paragraph separators some terminals act on.
    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
    }
}
