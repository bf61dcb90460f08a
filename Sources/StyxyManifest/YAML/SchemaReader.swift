import StyxyCore

/// Collects problems while a YAML tree is read into a model, so one run reports all of them.
struct DiagnosticBag {
    private(set) var items: [Diagnostic] = []

    /// Worth saying, but the manifest is still valid: they never fail a load.
    private(set) var warnings: [Diagnostic] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func warning(_ message: String, at location: SourceLocation, path: String, hint: String? = nil) {
        warnings.append(Diagnostic(.warning, message, at: location, keyPath: path, hint: hint))
    }

    mutating func error(_ message: String, at node: YAMLNode, path: String, hint: String? = nil) {
        items.append(Diagnostic(.error, message, at: node.location, keyPath: path, hint: hint))
    }

    mutating func error(_ message: String, at location: SourceLocation, path: String, hint: String? = nil) {
        items.append(Diagnostic(.error, message, at: location, keyPath: path, hint: hint))
    }

    mutating func append(contentsOf other: [Diagnostic]) {
        items.append(contentsOf: other)
    }

    /// The diagnostics in file order, as a user reads them.
    var sorted: [Diagnostic] {
        items.enumerated().sorted { a, b in
            switch (a.element.location, b.element.location) {
            case let (l?, r?) where l != r: return l < r
            default: return a.offset < b.offset
            }
        }.map(\.element)
    }
}

/// Typed access to YAML nodes. Each read names the key path and says what it expected and found.
struct SchemaReader {
    var bag = DiagnosticBag()

    /// The pairs of a mapping whose keys are all in `allowed`; unknown keys are reported with a
    /// "did you mean" when one allowed key is close.
    mutating func mapping(_ node: YAMLNode, path: String, allowed: [String]) -> [String: YAMLNode]? {
        guard case .mapping(let pairs) = node.kind else {
            bag.error("expected a mapping, found \(node.describedKind)", at: node, path: path)
            return nil
        }
        var result: [String: YAMLNode] = [:]
        for (key, value) in pairs {
            let name = key.scalarText ?? ""
            if allowed.contains(name) {
                result[name] = value
            } else if name == "<<" {
                bag.error("merge keys (<<) are not supported", at: key, path: join(path, name),
                          hint: "write the keys out in each mapping")
            } else {
                bag.error("unknown key '\(name)'", at: key, path: join(path, name),
                          hint: suggestion(for: name, among: allowed) ?? "allowed keys: \(allowed.joined(separator: ", "))")
            }
        }
        return result
    }

    /// The pairs of a mapping with free-form keys (service names, port names), in document order.
    mutating func entries(_ node: YAMLNode, path: String) -> [(key: YAMLNode, value: YAMLNode)]? {
        guard case .mapping(let pairs) = node.kind else {
            bag.error("expected a mapping, found \(node.describedKind)", at: node, path: path)
            return nil
        }
        return pairs
    }

    mutating func list(_ node: YAMLNode, path: String) -> [YAMLNode]? {
        guard case .sequence(let items) = node.kind else {
            var hint: String? = nil
            if let text = node.scalarText {
                let parts = text.split(separator: "-", omittingEmptySubsequences: false)
                if parts.count == 2, let low = Self.decimal(String(parts[0])), let high = Self.decimal(String(parts[1])) {
                    hint = "write a range as [\(low), \(high)]"
                }
            }
            bag.error("expected a list, found \(node.describedKind)", at: node, path: path, hint: hint)
            return nil
        }
        return items
    }

    mutating func string(_ node: YAMLNode, path: String, what: String = "a string") -> String? {
        guard case .scalar(let text, _) = node.kind, !node.isNull else {
            bag.error("expected \(what), found \(node.describedKind)", at: node, path: path)
            return nil
        }
        return text
    }

    /// A whole number written as a plain decimal scalar; quoted numbers are strings.
    mutating func integer(_ node: YAMLNode, path: String, what: String = "a whole number") -> Int? {
        guard case .scalar(let text, let quoted) = node.kind, !quoted,
              let value = Self.decimal(text)
        else {
            var hint: String? = nil
            if case .scalar(let text, true) = node.kind, Self.decimal(text) != nil {
                hint = "remove the quotes to write a number"
            }
            bag.error("expected \(what), found \(node.describedKind)", at: node, path: path, hint: hint)
            return nil
        }
        return value
    }

    mutating func port(_ node: YAMLNode, path: String) -> Int? {
        guard let value = integer(node, path: path, what: "a port number (1-65535)") else { return nil }
        guard (1...65535).contains(value) else {
            bag.error("port \(value) is outside 1-65535", at: node, path: path)
            return nil
        }
        return value
    }

    /// YAML 1.2 booleans only: `yes`, `no`, `on` and `off` are not booleans here.
    mutating func boolean(_ node: YAMLNode, path: String) -> Bool? {
        if case .scalar(let text, false) = node.kind {
            switch text {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        var hint: String? = nil
        if case .scalar(let text, false) = node.kind, ["yes", "no", "on", "off", "y", "n"].contains(text.lowercased()) {
            hint = "write true or false"
        }
        bag.error("expected true or false, found \(node.describedKind)", at: node, path: path, hint: hint)
        return nil
    }

    /// A single string or a list of strings.
    mutating func strings(_ node: YAMLNode, path: String, what: String) -> [(String, YAMLNode)]? {
        if case .sequence(let items) = node.kind {
            if items.isEmpty {
                bag.error("expected \(what) or a list of them, found an empty list", at: node, path: path)
                return nil
            }
            var result: [(String, YAMLNode)] = []
            for (index, item) in items.enumerated() {
                if let text = string(item, path: "\(path)[\(index)]", what: what) { result.append((text, item)) }
            }
            return result
        }
        guard let text = string(node, path: path, what: "\(what) or a list of them") else { return nil }
        return [(text, node)]
    }

    /// A positive duration (`500ms`, `30s`, `2m`) of at most `maximum` seconds; `what` names it
    /// in the message about the maximum ("the lock wait is at most 1h").
    mutating func duration(_ node: YAMLNode, path: String, maximum: Double, what: String) -> Double? {
        guard let text = string(node, path: path, what: "a duration like 10s") else { return nil }
        switch DurationText.read(text, maximum: maximum) {
        case .seconds(let seconds) where seconds > 0:
            return seconds
        case .tooLong:
            bag.error("\(what) is at most \(DurationText.describe(maximum)), found '\(text)'", at: node, path: path)
        default:
            bag.error("expected a duration like 500ms, 10s or 2m, found '\(text)'", at: node, path: path)
        }
        return nil
    }

    static func decimal(_ text: String) -> Int? {
        var digits = Substring(text)
        var sign = 1
        if let first = digits.first, first == "+" || first == "-" {
            sign = first == "-" ? -1 : 1
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.count <= 18, digits.utf8.allSatisfy(ASCII.isDigit) else { return nil }
        return Int(digits).map { $0 * sign }
    }

    /// The key path of the `index`th of the strings `node` holds: `env[1]` in a list, `env` alone.
    static func itemPath(_ path: String, _ index: Int, of node: YAMLNode) -> String {
        node.scalarText == nil ? "\(path)[\(index)]" : path
    }

    func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }
}

/// "did you mean 'x'?" for a misspelt name, when a close candidate exists.
func suggestion(for name: String, among candidates: [String]) -> String? {
    Suggestion.didYouMean(name, among: candidates)
}

func closest(to name: String, among candidates: [String]) -> String? {
    Suggestion.closest(to: name, among: candidates)
}
