import StyxyCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Text a test collects instead of a file descriptor.
package final class TextBuffer: @unchecked Sendable {
    private let lock = Lock()
    private var bytes: [UInt8] = []

    package init() {}

    package var text: String { lock.withLock { String(decoding: bytes, as: UTF8.self) } }

    package func append(_ text: String) { lock.withLock { bytes += Array(text.utf8) } }

    package func append(_ more: UnsafeBufferPointer<UInt8>) { lock.withLock { bytes += more } }
}

/// One output stream: a file descriptor, or a buffer in tests. Colour only on a terminal, and
/// never with NO_COLOR or TERM=dumb.
package struct Terminal: Sendable {
    enum Sink: Sendable {
        case descriptor(Int32)
        case buffer(TextBuffer)
    }

    let sink: Sink
    package let colour: Bool

    /// Standard output (1) or standard error (2) of this process.
    package init(descriptor: Int32, allowColour: Bool) {
        sink = .descriptor(descriptor)
        colour = allowColour && isatty(descriptor) == 1
    }

    package init(buffer: TextBuffer) {
        sink = .buffer(buffer)
        colour = false
    }

    package func write(_ text: String) {
        var text = text
        text.withUTF8 { write($0) }
    }

    /// Output already encoded as UTF-8 (a listing of 10,000 leases), without a `String` copy.
    package func write(bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { write($0) }
    }

    private func write(_ buffer: UnsafeBufferPointer<UInt8>) {
        switch sink {
        case .buffer(let collected): collected.append(buffer)
        case .descriptor(let descriptor): Self.write(buffer, to: descriptor)
        }
    }

    private static func write(_ buffer: UnsafeBufferPointer<UInt8>, to descriptor: Int32) {
        guard let base = buffer.baseAddress else { return }
        var offset = 0
        while offset < buffer.count {
            #if canImport(Glibc)
            let n = Glibc.write(descriptor, base + offset, buffer.count - offset)
            #else
            let n = Darwin.write(descriptor, base + offset, buffer.count - offset)
            #endif
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                return
            }
            offset += n
        }
    }

    package func line(_ text: String = "") { write(text + "\n") }

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
