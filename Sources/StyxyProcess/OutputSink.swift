#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StyxyCore

/// The supervisor's one output: every service line and every line the caller says goes through
/// here as a single `write`, so lines never interleave. A closed output (the reader of a pipe went
/// away) is not fatal: the services still need stopping, so later lines are dropped.
final class OutputSink {
    private let fd: Int32
    private let labels: [String: [UInt8]]
    private var line: [UInt8] = []
    private(set) var broken = false

    init(fd: Int32, names: [String], colour: Bool) {
        self.fd = fd
        labels = ServiceLabel.labels(for: names, colour: colour)
    }

    /// `NAME | text`, with NAME padded to the widest declared name. An empty line loses the
    /// space after the bar, so no line ends in blanks.
    func show(_ text: UnsafeRawBufferPointer, from service: String) {
        line.removeAll(keepingCapacity: true)
        line.append(contentsOf: labels[service] ?? Array(service.utf8))
        if !text.isEmpty {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: text)
        }
        line.append(UInt8(ascii: "\n"))
        flush()
    }

    /// A line of the caller's own (a ready line, a reason), unprefixed.
    func say(_ text: String) {
        line.removeAll(keepingCapacity: true)
        line.append(contentsOf: text.utf8)
        if line.last != UInt8(ascii: "\n") { line.append(UInt8(ascii: "\n")) }
        flush()
    }

    private func flush() {
        guard !broken else { return }
        var offset = 0
        while offset < line.count {
            let n = line.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n >= 0 {
                offset += n
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                // Someone made the output non-blocking; waiting for room keeps the line whole.
                var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&ready, 1, -1)
            } else if errno != EINTR {
                broken = true
                return
            }
        }
    }
}

/// The `NAME |` part of a service's lines: padded to the widest name so the bars line up, and in
/// the service's own colour when colour is on (the text after it keeps the service's own colours).
enum ServiceLabel {
    /// Cyan, yellow, green, magenta, blue, then their bright forms; red is left for errors.
    static let palette: [Int] = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94]

    static func labels(for names: [String], colour: Bool) -> [String: [UInt8]] {
        let shown = names.map(PrintableText.escaped)
        let width = shown.map(\.count).max() ?? 0
        var labels: [String: [UInt8]] = [:]
        for (index, name) in names.enumerated() {
            let padded = shown[index] + String(repeating: " ", count: width - shown[index].count) + " |"
            labels[name] = Array((colour ? "\u{1B}[\(palette[index % palette.count])m\(padded)\u{1B}[0m" : padded).utf8)
        }
        return labels
    }
}
