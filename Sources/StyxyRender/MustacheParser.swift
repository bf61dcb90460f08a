/// A template parsed into what rendering walks.
indirect enum MustacheNode: Equatable, Sendable {
    case text(String)
    case variable(MustacheName, escaped: Bool)
    case section(MustacheName, inverted: Bool, body: [MustacheNode])
    /// `{{%CONTENT_TYPE:HTML}}` (true) or `:TEXT`: whether the variables after it are escaped.
    case contentType(escapesHTML: Bool)
    /// A `{{$x}}` block directly inside a `{{<x}}` parent, the one tag a parent may hold.
    case blockDefinition
    /// Partials, parents and blocks: parsed so that errors after them are found where they
    /// always were, never rendered (the validator refuses every template that has one).
    case unsupported
}

/// A tag's name as the engine reads it: `f(g(x))` is the name `x` with the transforms `f`, `g`.
/// Transforms are refused by the validator; they are kept so a closing tag matches exactly.
struct MustacheName: Equatable, Sendable {
    var name: String
    var transforms: [String] = []
}

/// Reads Mustache the way Styxy's templates were read when swift-mustache 2.1.1 rendered them,
/// so every template that rendered before renders to the same bytes, and every one it refused is
/// refused with the same message at the same place. That includes its whitespace rules where they
/// go beyond the Mustache spec: any newline character ends a standalone tag's line, but only `\n`
/// and `\r\n` end a line of text; a last line of only spaces and tabs is dropped; a closing
/// tag leaves the next line's standalone state to its opening tag; and a start delimiter's first
/// character too close to the end of the template is an error ("overflow").
/// `TemplateScanner` runs first and reports most syntax errors itself; what it lets through and
/// this parser refuses is listed in `Failure`.
struct MustacheParser {
    enum Failure: Swift.Error, Equatable {
        /// Reading past the end: a start delimiter's first character too close to the end, or a
        /// pragma or delimiter change cut short.
        case overflow
        case unfinishedName
        case sectionCloseNameIncorrect
        case expectedSectionEnd
        case invalidSetDelimiter
        case transformAppliedToInheritanceSection
        case illegalTokenInsideInheritSection
        case invalidConfigVariableSyntax
        case unrecognisedConfigVariable
    }

    /// A failure and the place the engine had reached, 1-based. Columns count characters since
    /// the last line feed (`\r\n` is one character and not a line feed, so a CRLF template
    /// counts from its first line); lines count newline characters.
    struct Located: Swift.Error, Equatable {
        var failure: Failure
        var line: Int
        var column: Int
    }

    private struct State {
        var section: MustacheName?
        /// Only spaces and tabs have been read on this line so far.
        var newLine = true
        /// Directly inside a `{{<x}}` parent, where `{{$x}}` defines a block.
        var parentTopLevel = false
        var open: [Character] = ["{", "{"]
        var close: [Character] = ["}", "}"]

        func entering(_ section: MustacheName, standalone: Bool) -> State {
            var inner = self
            inner.section = section
            inner.parentTopLevel = false
            if !standalone { inner.newLine = false }
            return inner
        }
    }

    private static let nameCharacters = Set<Character>("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_?()*")
    private static let plainNameCharacters = Set<Character>("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_?*")
    private static let partialNameCharacters = Set<Character>("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_?()*/")

    private let chars: [Character]
    /// The template's bytes and where each character starts in them (one more for the end): text
    /// is copied out as bytes, since building a string character by character costs ten times more.
    private let bytes: [UInt8]
    private let offsets: [Int]
    private var index = 0

    private init(_ source: String) {
        chars = Array(source)
        bytes = Array(source.utf8)
        var offsets = [0]
        offsets.reserveCapacity(chars.count + 1)
        for character in chars { offsets.append(offsets[offsets.count - 1] + character.utf8.count) }
        self.offsets = offsets
    }

    /// The characters from `start` up to `end`, as the template spells them.
    private func text(_ start: Int, _ end: Int) -> String {
        String(decoding: bytes[offsets[start]..<offsets[end]], as: UTF8.self)
    }

    static func parse(_ source: String) throws(Located) -> [MustacheNode] {
        var parser = MustacheParser(source)
        do {
            return try parser.body(State())
        } catch {
            throw parser.locate(error)
        }
    }

    private func locate(_ failure: Failure) -> Located {
        let before = chars[..<index]
        let lineStart = before.lastIndex(of: "\n").map { $0 + 1 } ?? 0
        // Lines are counted as the library counted them: the newline characters are gathered into
        // one string first, where a lone `\r` and a following lone `\n` join into one character.
        let breaks = String(before.filter(\.isNewline)).count
        return Located(failure: failure, line: breaks + 1, column: index - lineStart + 1)
    }

    private var current: Character? { index < chars.count ? chars[index] : nil }

    /// The nodes up to the end of the template, or up to the tag that closes `state.section`.
    private mutating func body(_ initial: State) throws(Failure) -> [MustacheNode] {
        var state = initial
        var nodes: [MustacheNode] = []
        // The spaces and tabs that start the current line, held back until it is known whether
        // a standalone tag makes the whole line vanish.
        var indent = ""

        func flushIndent() {
            if !indent.isEmpty { nodes.append(.text(indent)) }
            indent = ""
        }

        while index < chars.count {
            if state.newLine { indent = read { $0 == " " || $0 == "\t" } }
            let text = try textBeforeTag(state)
            if let newline = current, newline.isNewline {
                nodes.append(.text(indent + text + String(newline)))
                state.newLine = true
                index += 1
                continue
            }
            if !text.isEmpty {
                nodes.append(.text(indent + text))
                indent = ""
                state.newLine = false
            }
            guard let sigil = current else { break }
            var standalone = false
            switch sigil {
            case "#", "^":
                index += 1
                let name = try tagName(state)
                standalone = endsStandalone(state)
                if !standalone { flushIndent() }
                let inner = try body(state.entering(name, standalone: standalone))
                nodes.append(.section(name, inverted: sigil == "^", body: inner))
            case "/":
                index += 1
                let start = index
                let name = try tagName(state)
                guard name == state.section else {
                    index = start
                    throw .sectionCloseNameIncorrect
                }
                if !endsStandalone(state) { flushIndent() }
                return nodes
            case "!":
                index += 1
                try skipComment(state)
                standalone = endsStandalone(state)
            case "{", "&":
                flushIndent()
                index += 1
                let name = try tagName(state)
                if sigil == "{" {
                    guard try read(["}"]) else { throw .unfinishedName }
                }
                nodes.append(.variable(name, escaped: false))
            case ">":
                index += 1
                _ = read { $0.isWhitespace }
                if current == "*" { index += 1 }
                _ = try partialName(state)
                if !indent.isEmpty { nodes.append(.text(indent)) }
                standalone = endsStandalone(state)
                nodes.append(.unsupported)
                indent = ""
            case "<":
                index += 1
                _ = read { $0.isWhitespace }
                let name = try partialName(state)
                if !indent.isEmpty { nodes.append(.text(indent)) }
                standalone = endsStandalone(state)
                var inner = state
                inner.section = MustacheName(name: name)
                inner.newLine = true
                inner.parentTopLevel = true
                for node in try body(inner) {
                    switch node {
                    case .blockDefinition, .text: continue
                    default: throw .illegalTokenInsideInheritSection
                    }
                }
                nodes.append(.unsupported)
                indent = ""
            case "$":
                index += 1
                let name = try tagName(state)
                guard name.transforms.isEmpty else { throw .transformAppliedToInheritanceSection }
                if state.parentTopLevel {
                    standalone = endsStandalone(state)
                    _ = try body(state.entering(name, standalone: standalone))
                    nodes.append(.blockDefinition)
                } else {
                    if !indent.isEmpty { nodes.append(.text(indent)) }
                    standalone = endsStandalone(state)
                    _ = try body(state.entering(name, standalone: standalone))
                    nodes.append(.unsupported)
                    indent = ""
                }
            case "=":
                index += 1
                try changeDelimiters(&state)
                standalone = endsStandalone(state)
            case "%":
                index += 1
                nodes.append(try pragma(state))
                standalone = endsStandalone(state)
            default:
                flushIndent()
                nodes.append(.variable(try tagName(state), escaped: true))
            }
            state.newLine = standalone
        }
        if state.section != nil { throw .expectedSectionEnd }
        return nodes
    }

    /// Text up to a line break (left unread) or a start delimiter (read).
    private mutating func textBeforeTag(_ state: State) throws(Failure) -> String {
        let first = state.open[0]
        var text = ""
        while index < chars.count {
            let start = index
            while index < chars.count, chars[index] != "\n", chars[index] != "\r\n", chars[index] != first { index += 1 }
            text += self.text(start, index)
            guard let stop = current, !stop.isNewline else { break }
            if try read(state.open) { break }
            text.append(first)
            index += 1
        }
        return text
    }

    /// The name inside a tag, up to and including the end delimiter.
    private mutating func tagName(_ state: State) throws(Failure) -> MustacheName {
        _ = read { $0.isWhitespace }
        let text = read { Self.nameCharacters.contains($0) }
        _ = read { $0.isWhitespace }
        guard try read(state.close) else { throw .unfinishedName }
        return try Self.split(text)
    }

    /// `f(g(x))` into `x` and `[f, g]`; a name without brackets as it is.
    private static func split(_ text: String) throws(Failure) -> MustacheName {
        let chars = Array(text)
        var index = 0
        func plain() -> String {
            let start = index
            while index < chars.count, plainNameCharacters.contains(chars[index]) { index += 1 }
            return String(chars[start..<index])
        }
        var transforms = [plain()]
        if index == chars.count { return MustacheName(name: text) }
        guard chars[index] == "(" else { throw .unfinishedName }
        index += 1
        while true {
            let name = plain()
            guard index < chars.count else { throw .unfinishedName }
            switch chars[index] {
            case ")":
                index += 1
                var closing = 1
                while index < chars.count, chars[index] == ")" {
                    closing += 1
                    index += 1
                }
                guard closing == transforms.count, index == chars.count else { throw .unfinishedName }
                return MustacheName(name: name, transforms: transforms)
            case "(":
                index += 1
                transforms.append(name)
            default:
                throw .unfinishedName
            }
        }
    }

    private mutating func partialName(_ state: State) throws(Failure) -> String {
        _ = read { $0.isWhitespace }
        let text = read { Self.partialNameCharacters.contains($0) }
        _ = read { $0.isWhitespace }
        guard try read(state.close) else { throw .unfinishedName }
        return text
    }

    /// Up to and including the end delimiter. The search restarts after a partial match without
    /// looking at the character that broke it, as the library's did: with `%>` as the end
    /// delimiter, `%%>` does not end a comment.
    private mutating func skipComment(_ state: State) throws(Failure) {
        let start = index
        var matched = 0
        while index < chars.count {
            if chars[index] == state.close[matched] {
                matched += 1
                if matched == state.close.count {
                    index += 1
                    return
                }
            } else {
                matched = 0
            }
            index += 1
        }
        index = start
        throw .overflow
    }

    /// `{{=<% %>=}}`: two words, `=`, then the old end delimiter.
    private mutating func changeDelimiters(_ state: inout State) throws(Failure) {
        let open: String, close: String
        do {
            _ = read { $0.isWhitespace }
            open = try readUntil { $0.isWhitespace }
            _ = read { $0.isWhitespace }
            close = try readUntil { $0 == "=" || $0.isWhitespace }
            _ = read { $0.isWhitespace }
        } catch {
            throw .invalidSetDelimiter
        }
        guard try read(["="]), try read(state.close), !open.isEmpty, !close.isEmpty else { throw .invalidSetDelimiter }
        state.open = Array(open)
        state.close = Array(close)
        state.parentTopLevel = false
    }

    /// `{{%CONTENT_TYPE:TEXT}}` or `:HTML`, the only pragma there is.
    private mutating func pragma(_ state: State) throws(Failure) -> MustacheNode {
        let variable: String, value: String
        do {
            _ = read { $0.isWhitespace }
            variable = read { Self.plainNameCharacters.contains($0) }
            _ = read { $0.isWhitespace }
            guard try read([":"]) else { throw Failure.invalidConfigVariableSyntax }
            _ = read { $0.isWhitespace }
            value = read { Self.plainNameCharacters.contains($0) }
            _ = read { $0.isWhitespace }
            guard try read(state.close) else { throw Failure.invalidConfigVariableSyntax }
        } catch {
            throw .invalidConfigVariableSyntax
        }
        guard !variable.isEmpty, !value.isEmpty else { throw .invalidConfigVariableSyntax }
        switch (variable, value) {
        case ("CONTENT_TYPE", "HTML"): return .contentType(escapesHTML: true)
        case ("CONTENT_TYPE", "TEXT"): return .contentType(escapesHTML: false)
        default: throw .unrecognisedConfigVariable
        }
    }

    /// Whether the tag just read stands alone on its line; if so, its line break is read too.
    private mutating func endsStandalone(_ state: State) -> Bool {
        guard state.newLine else { return false }
        guard index < chars.count else { return true }
        var after = index
        while after < chars.count, chars[after] == " " || chars[after] == "\t" { after += 1 }
        guard after < chars.count, chars[after].isNewline else { return false }
        index = after + 1
        return true
    }

    /// Reads `expected` if it comes next. Fewer characters left than it has is an overflow,
    /// even where they could never match.
    private mutating func read(_ expected: [Character]) throws(Failure) -> Bool {
        guard chars.count - index >= expected.count else { throw .overflow }
        guard chars[index..<index + expected.count].elementsEqual(expected) else { return false }
        index += expected.count
        return true
    }

    private mutating func read(while accepts: (Character) -> Bool) -> String {
        let start = index
        while index < chars.count, accepts(chars[index]) { index += 1 }
        return text(start, index)
    }

    /// Characters up to one that `stops` (left unread); none before the end is an overflow,
    /// and nothing is read.
    private mutating func readUntil(_ stops: (Character) -> Bool) throws(Failure) -> String {
        let start = index
        while index < chars.count {
            if stops(chars[index]) { return text(start, index) }
            index += 1
        }
        index = start
        throw .overflow
    }
}
