import StyxyCore

/// Finds the ports a command line passes to the server it starts, and rewrites the command so the
/// leased port is passed instead (`vite --port 5173` → `vite --port {{port}}`).
///
/// Recognised: `--port N`, `--port=N`, `-p N`, any `--NAME-port N` (`--ui-port 4000`), `PORT=N`
/// and `NAME_PORT=N` assignments, `-b`/`--bind HOST:N` and `runserver [HOST:]N`. Wherever a
/// number may stand, a variable may too: `$PORT`, `${PORT}`, `${PORT:-3000}`. Anything else that
/// merely looks like a number (`--timeout 3000`) is left alone. Words are split at blanks only;
/// shell quoting is not interpreted, which is enough for the one-liners scripts hold.
struct CommandPorts {
    enum Value: Hashable {
        case literal(Int)
        /// A variable the command reads the port from, with the fallback it names (`${PORT:-3000}`).
        case variable(String, fallback: Int?)

        var preferred: Int? {
            switch self {
            case .literal(let port): return port
            case .variable(_, let fallback): return fallback
            }
        }

        var variable: String? {
            if case .variable(let name, _) = self { return name }
            return nil
        }
    }

    /// One port the command uses: its value, what to call it when there are several, and every
    /// stretch of the command that spells it.
    struct Port {
        var value: Value
        var label: String?
        var spans: [Range<Int>]
    }

    let command: String
    private let bytes: [UInt8]

    init(_ command: String) {
        self.command = command
        bytes = Array(command.utf8)
    }

    /// The ports in the order the command first names them, each value once.
    func ports() -> [Port] {
        var found: [Port] = []
        func add(_ value: Value, _ span: Range<Int>, label: String?) {
            if let index = found.firstIndex(where: { $0.value == value }) {
                found[index].spans.append(span)
                if found[index].label == nil { found[index].label = label }
            } else {
                found.append(Port(value: value, label: label, spans: [span]))
            }
        }
        let words = wordRanges()
        for (index, word) in words.enumerated() {
            let text = String(decoding: bytes[word], as: UTF8.self)
            let next = index + 1 < words.count ? words[index + 1] : nil
            if let equals = text.firstIndex(of: "="), !text.hasPrefix("-") {
                // `PORT=3000 node server.js`, `VITE_PORT=$PORT vite`
                let name = String(text[..<equals])
                let valueStart = word.lowerBound + name.utf8.count + 1
                if Manifest.isValidEnvName(name), name.hasSuffix("PORT"), let (value, span) = value(in: valueStart..<word.upperBound) {
                    add(value, span, label: Self.label(assignment: name))
                }
                continue
            }
            guard text.hasPrefix("-") || text == "runserver" else { continue }
            let flag = text.split(separator: "=", maxSplits: 1).first.map(String.init) ?? text
            let inline = flag.utf8.count < text.utf8.count ? (word.lowerBound + flag.utf8.count + 1)..<word.upperBound : nil
            guard let valueRange = inline ?? next else { continue }
            if text == "runserver" || flag == "-b" || flag == "--bind" {
                // `runserver 0.0.0.0:8000`, `gunicorn -b 127.0.0.1:$PORT`: the port follows the last colon.
                let start = lastColon(in: valueRange).map { $0 + 1 } ?? valueRange.lowerBound
                if text == "runserver" || start > valueRange.lowerBound, let (value, span) = value(in: start..<valueRange.upperBound) {
                    add(value, span, label: nil)
                }
            } else if let label = Self.label(flag: flag), let (value, span) = value(in: valueRange) {
                add(value, span, label: label.isEmpty ? nil : label)
            }
        }
        // `wait-on http://localhost:5173` names a port the command already passes: rewrite it too.
        for index in found.indices {
            guard case .literal(let port) = found[index].value else { continue }
            for span in localAddressSpans(of: port) where !found[index].spans.contains(span) {
                found[index].spans.append(span)
            }
        }
        return found
    }

    /// The command with each port's spans replaced by its placeholder.
    func templated(_ placeholders: [(Port, String)]) -> String {
        var replacements: [(Range<Int>, String)] = []
        for (port, placeholder) in placeholders {
            for span in port.spans { replacements.append((span, placeholder)) }
        }
        var result = bytes
        for (span, text) in replacements.sorted(by: { $0.0.lowerBound > $1.0.lowerBound }) {
            result.replaceSubrange(span, with: Array(text.utf8))
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// A whole word that is a port number or a variable (`8080`, `${API_PORT:-8000}`), as Compose
    /// writes a published port; nil for anything else (ranges, expressions).
    static func value(of word: String) -> Value? {
        let scan = CommandPorts(word)
        guard let (value, span) = scan.value(in: 0..<scan.bytes.count), span == 0..<scan.bytes.count else { return nil }
        return value
    }

    // MARK: Reading values

    /// A port number or a variable at the start of `range`, allowing a leading quote and trailing
    /// punctuation (`"5173"`, `3000;`). The span returned covers only the number or the variable.
    func value(in range: Range<Int>) -> (Value, Range<Int>)? {
        var start = range.lowerBound
        if start < range.upperBound, bytes[start] == 0x22 || bytes[start] == 0x27 { start += 1 }
        var end = start
        let result: Value
        if end < range.upperBound, bytes[end] == 0x24 {  // $
            guard let (name, fallback, stop) = variable(from: end, limit: range.upperBound) else { return nil }
            result = .variable(name, fallback: fallback)
            end = stop
        } else {
            while end < range.upperBound, ASCII.isDigit(bytes[end]) { end += 1 }
            guard end > start, end - start <= 5, let port = Int(String(decoding: bytes[start..<end], as: UTF8.self)),
                  (1...65535).contains(port) else { return nil }
            result = .literal(port)
        }
        guard bytes[end..<range.upperBound].allSatisfy({ Self.closers.contains($0) }) else { return nil }
        return (result, start..<end)
    }

    /// `$NAME`, `${NAME}`, `${NAME:-N}` or `${NAME-N}` starting at the `$`.
    private func variable(from dollar: Int, limit: Int) -> (String, Int?, Int)? {
        var index = dollar + 1
        let braced = index < limit && bytes[index] == 0x7b
        if braced { index += 1 }
        let nameStart = index
        while index < limit, Self.isNameByte(bytes[index]) { index += 1 }
        let name = String(decoding: bytes[nameStart..<index], as: UTF8.self)
        guard Manifest.isValidEnvName(name) else { return nil }
        guard braced else { return (name, nil, index) }
        var fallback: Int? = nil
        if index < limit, bytes[index] == 0x3a { index += 1 }
        if index < limit, bytes[index] == 0x2d {
            let digitsStart = index + 1
            index = digitsStart
            while index < limit, ASCII.isDigit(bytes[index]) { index += 1 }
            fallback = Int(String(decoding: bytes[digitsStart..<index], as: UTF8.self)).flatMap { (1...65535).contains($0) ? $0 : nil }
            if fallback == nil { return nil }
        }
        guard index < limit, bytes[index] == 0x7d else { return nil }
        return (name, fallback, index + 1)
    }

    /// The last `:` outside `${...}`, so `0.0.0.0:${PORT:-8000}` splits before the variable.
    func lastColon(in range: Range<Int>) -> Int? {
        var depth = 0
        var colon: Int? = nil
        for index in range {
            switch bytes[index] {
            case 0x7b: depth += 1
            case 0x7d: depth = max(0, depth - 1)
            case 0x3a where depth == 0: colon = index
            default: break
            }
        }
        return colon
    }

    /// `localhost:N`, `127.0.0.1:N`, `0.0.0.0:N` and `[::1]:N`, spans covering N.
    private func localAddressSpans(of port: Int) -> [Range<Int>] {
        let digits = Array(String(port).utf8)
        var spans: [Range<Int>] = []
        for host in ["localhost:", "127.0.0.1:", "0.0.0.0:", "[::1]:"] {
            let needle = Array(host.utf8) + digits
            var index = 0
            while index + needle.count <= bytes.count {
                let end = index + needle.count
                if Array(bytes[index..<end]) == needle, end == bytes.count || !ASCII.isDigit(bytes[end]) {
                    spans.append((end - digits.count)..<end)
                }
                index += 1
            }
        }
        return spans
    }

    private func wordRanges() -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start: Int? = nil
        for (index, byte) in bytes.enumerated() {
            let blank = byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d
            if blank, let begin = start {
                ranges.append(begin..<index)
                start = nil
            } else if !blank, start == nil {
                start = index
            }
        }
        if let begin = start { ranges.append(begin..<bytes.count) }
        return ranges
    }

    // MARK: Names

    /// `--port` and `-p` → "" (the main port); `--ui-port` → "ui"; other flags → nil.
    static func label(flag: String) -> String? {
        if flag == "--port" || flag == "-p" { return "" }
        guard flag.hasPrefix("--"), flag.hasSuffix("-port"), flag.count > 7 else { return nil }
        return String(flag.dropFirst(2).dropLast(5))
    }

    /// `PORT` → nil (the main port); `VITE_PORT` → "vite".
    static func label(assignment name: String) -> String? {
        guard name != "PORT" else { return nil }
        let stem = name.hasSuffix("_PORT") ? name.dropLast(5) : name.dropLast(4)
        return stem.isEmpty ? nil : stem.lowercased()
    }

    private static let closers: Set<UInt8> = Set("\"')];,&|".utf8)
    private static func isNameByte(_ byte: UInt8) -> Bool { ASCII.isAlphanumeric(byte) || byte == 0x5f }
}
