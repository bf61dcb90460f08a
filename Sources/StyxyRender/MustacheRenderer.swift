/// A parsed template, rendered against a `TemplateValue` with Mustache's lookup rules: a name is
/// looked up in the innermost scope that has it (an absent optional, `.null`, counts as having
/// it), `a.b` then looks for `b` in that `a` only, `.x` looks in the innermost scope only.
struct CompiledTemplate: Sendable {
    let nodes: [MustacheNode]

    init(parsing source: String) throws(MustacheParser.Located) {
        nodes = try MustacheParser.parse(source)
    }

    /// Styxy's outputs are plain text: nothing is escaped unless the template asks for HTML.
    func render(_ value: TemplateValue) -> String {
        var output = ""
        var scopes = [value]
        Self.render(nodes, scopes: &scopes, escapesHTML: false, into: &output)
        return output
    }

    private static func render(_ nodes: [MustacheNode], scopes: inout [TemplateValue], escapesHTML: Bool, into output: inout String) {
        // A content-type pragma holds until the end of the section it is written in.
        var escapesHTML = escapesHTML
        for node in nodes {
            switch node {
            case .text(let text):
                output += text
            case .variable(let name, let escaped):
                guard let value = lookup(name.name, in: scopes) else { continue }
                output += escaped && escapesHTML ? escapeHTML(value.printed) : value.printed
            case .section(let name, let inverted, let body):
                let value = lookup(name.name, in: scopes)
                switch (value, inverted) {
                case (.list(let items)?, false):
                    for item in items {
                        scopes.append(item)
                        render(body, scopes: &scopes, escapesHTML: escapesHTML, into: &output)
                        scopes.removeLast()
                    }
                case (.list(let items)?, true):
                    // The empty list itself becomes the scope (it has no fields; `{{.}}` prints `[]`).
                    guard items.isEmpty, let value else { continue }
                    scopes.append(value)
                    render(body, scopes: &scopes, escapesHTML: escapesHTML, into: &output)
                    scopes.removeLast()
                case (.bool(let flag)?, _):
                    if flag != inverted { render(body, scopes: &scopes, escapesHTML: escapesHTML, into: &output) }
                case (let value?, false):
                    scopes.append(value)
                    render(body, scopes: &scopes, escapesHTML: escapesHTML, into: &output)
                    scopes.removeLast()
                case (nil, true):
                    render(body, scopes: &scopes, escapesHTML: escapesHTML, into: &output)
                case (_?, true), (nil, false):
                    continue
                }
            case .contentType(let html):
                escapesHTML = html
            case .blockDefinition, .unsupported:
                continue
            }
        }
    }

    /// What `name` names from the innermost scope outwards; nil when nothing does or it is null.
    private static func lookup(_ name: String, in scopes: [TemplateValue]) -> TemplateValue? {
        let innermost = scopes[scopes.count - 1]
        if name == "." { return innermost.presence }
        let parts = name.split(separator: ".").map(String.init)
        var found: TemplateValue?
        if name.hasPrefix(".") {
            found = innermost
        } else if let first = parts.first {
            found = scopes.reversed().lazy.compactMap { $0.field(first) }.first
        }
        for part in (name.hasPrefix(".") ? parts[...] : parts.dropFirst()) {
            found = found?.field(part)
        }
        return found?.presence
    }

    /// `<>&"'` as HTML entities, for `{{%CONTENT_TYPE:HTML}}`.
    static func escapeHTML(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "&": escaped += "&amp;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

extension TemplateValue {
    /// Nil for `.null`: an absent optional prints nothing and opens no section.
    fileprivate var presence: TemplateValue? {
        if case .null = self { return nil }
        return self
    }
}
