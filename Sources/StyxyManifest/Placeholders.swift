import StyxyCore

/// `{{NAME}}` in the arguments of `styxy run` (DESIGN §8): the one way to hand a leased port to a
/// program from an npm script, since no shell expands `{{...}}` before Styxy sees it.
///
/// A placeholder is exactly `{{NAME}}`, NAME matching `[A-Z_][A-Z0-9_]*`, or `{{port}}`, the
/// port of the service being run. Any other text between braces (`{{.Names}}`, `{{ x }}`,
/// `{{json .}}`, `{{}}`) is another tool's and stays as written. Only the innermost pair of
/// braces belongs to a placeholder, so `{"port":{{WEB_PORT}}}` gives `{"port":3001}` and
/// `{{{WEB_PORT}}}` gives `{3001}`. Each argument is expanded on its own and stays one
/// argument; a value is inserted as it is and never read again for placeholders.
public enum Placeholders {
    /// `arguments` with every placeholder replaced. `variables` are the names a placeholder may
    /// use (the port variables and Styxy's identity variables); `servicePort` is what `{{port}}`
    /// means, nil where no service is being run. An unknown name, or `{{port}}` without a
    /// service, fails with exit status 64, each problem said once, with a "did you mean".
    public static func expand(_ arguments: [String], variables: [String: String], servicePort: Int?) throws(StyxyError) -> [String] {
        var problems: [Diagnostic] = []
        var reported = Set<String>()
        let expanded = arguments.map { argument in
            replacing(in: argument) { name in
                if name == "port", let servicePort { return String(servicePort) }
                if name != "port", let value = variables[name] { return value }
                if reported.insert(name).inserted {
                    problems.append(problem(name, in: argument, variables: variables, hasService: servicePort != nil))
                }
                return nil
            }
        }
        if !problems.isEmpty { throw StyxyError(.usage, problems) }
        return expanded
    }

    /// `text` with each placeholder replaced by what `value` gives for its name (left as written
    /// when it gives nil), scanned once from the left.
    static func replacing(in text: String, _ value: (String) -> String?) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var copied = 0
        var index = 0
        // Braces and names are ASCII, which never occurs inside a multi-byte UTF-8 sequence, so
        // cutting at them keeps every other character whole.
        while index + 4 < bytes.count {
            guard bytes[index] == open, bytes[index + 1] == open, let end = nameEnd(bytes, from: index + 2),
                  end + 1 < bytes.count, bytes[end] == close, bytes[end + 1] == close
            else {
                index += 1
                continue
            }
            if let replacement = value(String(decoding: bytes[(index + 2)..<end], as: UTF8.self)) {
                out += bytes[copied..<index]
                out += replacement.utf8
                copied = end + 2
            }
            index = end + 2
        }
        guard copied > 0 else { return text }
        out += bytes[copied...]
        return String(decoding: out, as: UTF8.self)
    }

    private static let open = UInt8(ascii: "{")
    private static let close = UInt8(ascii: "}")
    private static let lowercasePort = Array("port".utf8)

    /// Where a placeholder name starting at `start` ends: past `[A-Z_][A-Z0-9_]*`, or past `port`.
    private static func nameEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        func isUpper(_ byte: UInt8) -> Bool { (0x41...0x5a).contains(byte) || byte == 0x5f }
        if isUpper(bytes[start]) {
            var end = start + 1
            while end < bytes.count, isUpper(bytes[end]) || (0x30...0x39).contains(bytes[end]) { end += 1 }
            return end
        }
        let end = start + lowercasePort.count
        return end <= bytes.count && bytes[start..<end].elementsEqual(lowercasePort) ? end : nil
    }

    private static func problem(_ name: String, in argument: String, variables: [String: String], hasService: Bool) -> Diagnostic {
        let place = "in '\(YAMLNode.printable(argument))'"
        let portVariables = variables.keys.filter { $0.contains("PORT") && !$0.hasPrefix("STYXY_") }.sorted()
        if name == "port" {
            return Diagnostic(.error, "{{port}} \(place) names no port: `styxy run -- CMD` runs no service of its own",
                              hint: "name a variable, such as {{\(portVariables.first ?? "WEB_PORT")}}, or run a service's command with `styxy run SERVICE`, where {{port}} is its port")
        }
        let candidates = variables.keys.sorted() + (hasService ? ["port"] : [])
        let known = candidates.prefix(12).map { "{{\($0)}}" }.joined(separator: ", ") + (candidates.count > 12 ? ", ..." : "")
        return Diagnostic(.error, "unknown placeholder {{\(name)}} \(place)",
                          hint: closest(to: name, among: candidates).map { "did you mean {{\($0)}}?" }
                            ?? (candidates.isEmpty ? "no variables are set" : "placeholders here: \(known)"))
    }
}
