import StyxyCore

/// One Mustache tag with the place its name starts, for the checks made before a template is
/// parsed for rendering (names, nesting, the size bound) and for their messages. This scanner
/// follows the same tag rules as `MustacheParser` (first start delimiter wins, a sigil right
/// after it, `{{{x}}}` closes with one extra `}`, `{{=a b=}}` changes delimiters).
struct TemplateTag: Equatable {
    enum Kind: Equatable {
        case variable, unescapedVariable, section, invertedSection, close
        case comment, setDelimiters, pragma
        /// `{{>x}}`, `{{$x}}`, `{{<x}}`: recognised so they can be refused by name.
        case partial, block, parent
    }

    var kind: Kind
    var name: String
    var line: Int
    var column: Int
    /// The UTF-8 offsets of the tag's first delimiter and of the byte after its last: the text
    /// between two tags is what renders as it is, and the size bound counts it.
    var start = 0
    var end = 0
}

struct TemplateScanner {
    private let chars: [Character]
    private let file: String
    private var index = 0
    private var offset = 0
    private var line = 1
    private var column = 1
    private var open: [Character] = ["{", "{"]
    private var close: [Character] = ["}", "}"]

    private init(_ source: String, file: String) {
        self.chars = Array(source)
        self.file = file
    }

    /// The tags of `source`, or the first syntax error with its `file:line:col`. Sections are
    /// matched here, so an unclosed one is reported where it opens, not at the end of the file.
    static func scan(_ source: String, file: String) throws(StyxyError) -> [TemplateTag] {
        var scanner = TemplateScanner(source, file: file)
        return try scanner.run()
    }

    static let maximumDepth = 32

    private mutating func run() throws(StyxyError) -> [TemplateTag] {
        var tags: [TemplateTag] = []
        var openSections: [TemplateTag] = []
        while let start = find(open, from: index) {
            advance(to: start)
            let tagLine = line, tagColumn = column, tagStart = offset
            advance(to: start + open.count)
            var tag = try readTag(line: tagLine, column: tagColumn)
            tag.start = tagStart
            tag.end = offset
            switch tag.kind {
            case .section, .invertedSection, .block, .parent:
                // Sections are parsed and rendered recursively (a deep template overflows the stack),
                // and a section over a list opened inside a section over the same list renders
                // n^depth times; no real template needs either.
                if openSections.count >= Self.maximumDepth {
                    throw error("sections nest deeper than \(Self.maximumDepth) levels", tag)
                }
                if tag.kind == .section, let outer = openSections.first(where: { $0.kind == .section && $0.name == tag.name }) {
                    throw error("section '\(tag.name)' is opened again inside itself (opened at line \(outer.line))", tag,
                                hint: "close the outer section first; inside it, its fields are in scope")
                }
                openSections.append(tag)
            case .close:
                guard let opened = openSections.popLast() else {
                    throw error("'\(tagText(tag))' closes a section that was never opened", tag)
                }
                if opened.name != tag.name {
                    throw error(
                        "'\(tagText(tag))' does not close section '\(opened.name)' opened at line \(opened.line)",
                        tag)
                }
            default:
                break
            }
            tags.append(tag)
        }
        if let unclosed = openSections.last {
            throw error(
                "section '\(unclosed.name)' is never closed", unclosed,
                hint: "add {{/\(unclosed.name)}} where the section ends")
        }
        return tags
    }

    private mutating func readTag(line tagLine: Int, column tagColumn: Int) throws(StyxyError) -> TemplateTag {
        let unclosed = StyxyError(
            .invalidInput, "tag opened here is never closed with '\(String(close))'",
            at: SourceLocation(file: file, line: tagLine, column: tagColumn))
        let sigil = index < chars.count ? chars[index] : nil
        let kind: TemplateTag.Kind
        switch sigil {
        case "{": kind = .unescapedVariable
        case "&": kind = .unescapedVariable
        case "#": kind = .section
        case "^": kind = .invertedSection
        case "/": kind = .close
        case "!": kind = .comment
        case "=": kind = .setDelimiters
        case "%": kind = .pragma
        case ">": kind = .partial
        case "$": kind = .block
        case "<": kind = .parent
        default: kind = .variable
        }
        if kind != .variable { advance(to: index + 1) }
        if kind == .setDelimiters { return try readDelimiters(line: tagLine, column: tagColumn) }

        guard let end = find(close, from: index) else { throw unclosed }
        while index < end, chars[index].isWhitespace { advance(to: index + 1) }
        let nameLine = line, nameColumn = column
        let name = String(chars[index..<end]).trimmingWhitespace()
        var after = end + close.count
        if sigil == "{" {
            guard after < chars.count, chars[after] == "}" else {
                advance(to: end)
                throw StyxyError(
                    .invalidInput, "'{{{\(name)' must end with '}\(String(close))'",
                    at: SourceLocation(file: file, line: line, column: column))
            }
            after += 1
        }
        advance(to: after)
        let tag = TemplateTag(kind: kind, name: name, line: nameLine, column: nameColumn)
        if kind != .comment, kind != .pragma, name.isEmpty {
            throw error("empty tag", TemplateTag(kind: kind, name: name, line: tagLine, column: tagColumn))
        }
        return tag
    }

    /// `{{=<% %>=}}`, read as the parser reads it: two words, then `=`, then the old end.
    private mutating func readDelimiters(line tagLine: Int, column tagColumn: Int) throws(StyxyError) -> TemplateTag {
        func word(until stop: (Character) -> Bool) -> [Character] {
            var found: [Character] = []
            while index < chars.count, !stop(chars[index]) {
                found.append(chars[index])
                advance(to: index + 1)
            }
            return found
        }
        func skipSpace() { _ = word { !$0.isWhitespace } }
        skipSpace()
        let newOpen = word { $0.isWhitespace }
        skipSpace()
        let newClose = word { $0.isWhitespace || $0 == "=" }
        skipSpace()
        let closed = index < chars.count && chars[index] == "=" && matches(close, at: index + 1)
        guard closed, !newOpen.isEmpty, !newClose.isEmpty else {
            throw StyxyError(
                .invalidInput, "malformed delimiter change; write it as {{=<% %>=}}",
                at: SourceLocation(file: file, line: tagLine, column: tagColumn))
        }
        advance(to: index + 1 + close.count)
        open = newOpen
        close = newClose
        return TemplateTag(kind: .setDelimiters, name: String(newOpen) + " " + String(newClose),
                           line: tagLine, column: tagColumn)
    }

    private func tagText(_ tag: TemplateTag) -> String {
        String(open) + "/" + tag.name + String(close)
    }

    private func error(_ message: String, _ tag: TemplateTag, hint: String? = nil) -> StyxyError {
        StyxyError(.invalidInput, message, at: SourceLocation(file: file, line: tag.line, column: tag.column), hint: hint)
    }

    private func matches(_ pattern: [Character], at position: Int) -> Bool {
        guard position + pattern.count <= chars.count else { return false }
        for offset in pattern.indices where chars[position + offset] != pattern[offset] { return false }
        return true
    }

    private func find(_ pattern: [Character], from position: Int) -> Int? {
        var candidate = position
        while candidate + pattern.count <= chars.count {
            if matches(pattern, at: candidate) { return candidate }
            candidate += 1
        }
        return nil
    }

    /// Moves forward, counting lines and columns (one column per Character; `\r\n` is one
    /// Character and one line break), and bytes.
    private mutating func advance(to target: Int) {
        while index < target {
            offset += chars[index].utf8.count
            if chars[index].isNewline {
                line += 1
                column = 1
            } else {
                column += 1
            }
            index += 1
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
