import StyxyCore

#if canImport(Glibc)
import Glibc
#endif

/// One of the two output streams, with colour only on a terminal and never with NO_COLOR.
struct Terminal: Sendable {
    let descriptor: Int32
    let colour: Bool

    static let standardOutput = Terminal(descriptor: 1)
    static let standardError = Terminal(descriptor: 2)

    init(descriptor: Int32) {
        self.descriptor = descriptor
        let noColour = FileIO.environment("NO_COLOR").map { !$0.isEmpty } ?? false
        let dumb = FileIO.environment("TERM") == "dumb"
        colour = isatty(descriptor) == 1 && !noColour && !dumb
    }

    func write(_ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }

    func line(_ text: String = "") { write(text + "\n") }

    enum Style: String {
        case bold = "1", red = "31", yellow = "33", green = "32", dim = "2", cyan = "36"
    }

    func styled(_ text: String, _ styles: Style...) -> String {
        guard colour, !styles.isEmpty else { return text }
        return "\u{1B}[\(styles.map(\.rawValue).joined(separator: ";"))m\(text)\u{1B}[0m"
    }

    /// Prints diagnostics in compiler form, the severity word coloured on a terminal.
    func report(_ diagnostics: [Diagnostic]) {
        for diagnostic in diagnostics {
            let style: Style = diagnostic.severity == .error ? .red : (diagnostic.severity == .warning ? .yellow : .cyan)
            line(diagnostic.rendered { styled($0, .bold, style) })
        }
    }
}
