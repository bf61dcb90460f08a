internal import CYaml
import StyxyCore

/// Turns one YAML document into `YAMLNode`s through libyaml's event API.
///
/// Building the tree from events (rather than libyaml's document loader) lets us check duplicate
/// keys at the second key, stop at a nesting limit before any recursion happens, and refuse aliases
/// that point into the node that contains them, which libyaml accepts.
struct YAMLParser {
    /// Deeper documents are refused; a manifest needs a handful of levels.
    static let maximumDepth = 64
    /// Aliases are rare in a manifest; a cap keeps "billion laughs" style documents cheap.
    static let maximumAliases = 256

    let file: String

    init(file: String) {
        self.file = file
    }

    /// Parses `bytes`; nil for a document with no content (an empty file or only comments).
    func parse(_ bytes: [UInt8]) throws(StyxyError) -> YAMLNode? {
        let session = ParserSession(bytes: bytes)
        var builder = TreeBuilder(file: file)
        while true {
            guard let event = session.next() else {
                throw StyxyError(.invalidInput, [syntaxDiagnostic(session)])
            }
            defer { event.release() }
            let done = try builder.consume(event.pointer.pointee)
            if done { break }
        }
        return builder.root
    }

    private func syntaxDiagnostic(_ session: ParserSession) -> Diagnostic {
        let parser = session.parser
        let mark = parser.problem_mark
        let problem = parser.problem.map { String(cString: $0) } ?? "the YAML could not be read"
        var message = problem
        if let context = parser.context {
            message = "\(String(cString: context)): \(problem)"
        }
        var hint: String? = nil
        if problem.hasPrefix("mapping values are not allowed") {
            hint = "a value containing ': ' must be quoted"
        }
        let offset = Int(mark.index)
        if offset < session.bytes.count, session.bytes[offset] == 0x09 {
            hint = "YAML does not allow tabs for indentation; use spaces"
        } else if parser.error == YAML_READER_ERROR {
            message = "the file is not valid UTF-8: \(problem)"
            hint = "save the manifest as UTF-8"
        }
        // libyaml marks are 0-based; people count from 1. Reader errors carry only a byte offset.
        var location = SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
        if parser.error == YAML_READER_ERROR {
            var offset = Int(parser.problem_offset)
            // For a bad trailing byte, point at the character it was meant to complete.
            if problem.contains("trailing") {
                while offset > 0, offset <= session.bytes.count, session.bytes[offset - 1] & 0xC0 == 0x80 { offset -= 1 }
                if offset > 0, offset <= session.bytes.count, session.bytes[offset - 1] >= 0xC0 { offset -= 1 }
            }
            location = Self.location(ofByte: offset, in: session.bytes, file: file)
        }
        return Diagnostic(.error, "invalid YAML: \(message)", at: location, hint: hint)
    }
}

extension YAMLParser {
    /// Line and column (in characters) of a byte offset.
    static func location(ofByte offset: Int, in bytes: [UInt8], file: String) -> SourceLocation {
        var line = 1
        var lineStart = 0
        for index in 0..<min(offset, bytes.count) where bytes[index] == 0x0a {
            line += 1
            lineStart = index + 1
        }
        let prefix = bytes[lineStart..<min(offset, bytes.count)]
        let column = prefix.reduce(1) { $1 & 0xC0 == 0x80 ? $0 : $0 + 1 }
        return SourceLocation(file: file, line: line, column: column)
    }
}

/// Owns the C parser and the input it reads, freeing both when done.
private final class ParserSession {
    var parser = yaml_parser_t()
    let bytes: [UInt8]
    private let input: UnsafeMutableBufferPointer<UInt8>

    init(bytes: [UInt8]) {
        self.bytes = bytes
        input = .allocate(capacity: max(bytes.count, 1))
        _ = input.initialize(from: bytes)
        yaml_parser_initialize(&parser)
        yaml_parser_set_input_string(&parser, input.baseAddress, bytes.count)
        // Manifests are UTF-8; without this libyaml would guess UTF-16 from a byte-order mark.
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
    }

    deinit {
        yaml_parser_delete(&parser)
        input.deallocate()
    }

    /// The next event, or nil when libyaml reports an error (details stay in `parser`).
    func next() -> OwnedEvent? {
        let event = OwnedEvent()
        guard yaml_parser_parse(&parser, event.pointer) != 0 else {
            event.pointer.deallocate()
            return nil
        }
        return event
    }
}

private struct OwnedEvent {
    let pointer: UnsafeMutablePointer<yaml_event_t>

    init() {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: yaml_event_t())
    }

    func release() {
        yaml_event_delete(pointer)
        pointer.deallocate()
    }
}

/// Assembles nodes from events with an explicit stack, so nesting depth never becomes recursion.
private struct TreeBuilder {
    /// An open mapping or sequence. A class, so appending to it never copies what it holds.
    private final class Frame {
        let isMapping: Bool
        let location: SourceLocation
        let tag: String?
        let anchor: String?
        var items: [YAMLNode] = []
        var pairs: [(key: YAMLNode, value: YAMLNode)] = []
        var pendingKey: YAMLNode?
        var seen: [String: SourceLocation] = [:]

        init(isMapping: Bool, location: SourceLocation, tag: String?, anchor: String?) {
            self.isMapping = isMapping
            self.location = location
            self.tag = tag
            self.anchor = anchor
        }

        var node: YAMLNode {
            YAMLNode(kind: isMapping ? .mapping(pairs) : .sequence(items), location: location, tag: tag)
        }
    }

    let file: String
    var root: YAMLNode?
    private var stack: [Frame] = []
    private var anchors: [String: YAMLNode] = [:]
    private var openAnchors: Set<String> = []
    private var aliasCount = 0
    private var documents = 0

    init(file: String) {
        self.file = file
    }

    private func location(_ mark: yaml_mark_t) -> SourceLocation {
        SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int? = nil) -> String? {
        guard let pointer else { return nil }
        if let length {
            return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
        }
        return String(cString: pointer)
    }

    /// Returns true at the end of the stream.
    mutating func consume(_ event: yaml_event_t) throws(StyxyError) -> Bool {
        let here = location(event.start_mark)
        switch event.type {
        case YAML_STREAM_END_EVENT:
            return true
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                throw StyxyError(.invalidInput, "a manifest holds one YAML document; found a second one", at: here,
                                 hint: "remove the extra '---' and what follows it")
            }
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let value = text(scalar.value, length: Int(scalar.length)) ?? ""
            let tag = text(scalar.tag)
            // An explicit tag decides over the quoting: `!!str 8000` is text, `!!int "8000"` a number.
            var quoted = scalar.style != YAML_PLAIN_SCALAR_STYLE
            if tag == "tag:yaml.org,2002:str" { quoted = true }
            if tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:bool" { quoted = false }
            let node = YAMLNode(kind: .scalar(value, quoted: quoted), location: here, tag: tag)
            try attach(node, anchor: text(scalar.anchor))
        case YAML_ALIAS_EVENT:
            let name = text(event.data.alias.anchor) ?? ""
            aliasCount += 1
            if openAnchors.contains(name) {
                throw StyxyError(.invalidInput, "the alias *\(name) refers to a node that contains it", at: here,
                                 hint: "a manifest cannot refer to itself")
            }
            if aliasCount > YAMLParser.maximumAliases {
                throw StyxyError(.invalidInput, "too many aliases (more than \(YAMLParser.maximumAliases))", at: here)
            }
            guard var node = anchors[name] else {
                throw StyxyError(.invalidInput, "the alias *\(name) names no anchor defined before it", at: here)
            }
            node.location = here
            try attach(node, anchor: nil)
        case YAML_MAPPING_START_EVENT:
            let start = event.data.mapping_start
            try push(Frame(isMapping: true, location: here, tag: text(start.tag), anchor: text(start.anchor)), at: here)
        case YAML_SEQUENCE_START_EVENT:
            let start = event.data.sequence_start
            try push(Frame(isMapping: false, location: here, tag: text(start.tag), anchor: text(start.anchor)), at: here)
        case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
            guard let frame = stack.popLast() else { break }
            if let anchor = frame.anchor { openAnchors.remove(anchor) }
            try attach(frame.node, anchor: frame.anchor)
        default:
            break
        }
        return false
    }

    private mutating func push(_ frame: Frame, at here: SourceLocation) throws(StyxyError) {
        if stack.count >= YAMLParser.maximumDepth {
            throw StyxyError(.invalidInput, "the document nests deeper than \(YAMLParser.maximumDepth) levels", at: here)
        }
        if let anchor = frame.anchor { openAnchors.insert(anchor) }
        stack.append(frame)
    }

    private mutating func attach(_ node: YAMLNode, anchor: String?) throws(StyxyError) {
        if let anchor { anchors[anchor] = node }
        guard let top = stack.last else {
            root = node
            return
        }
        guard top.isMapping else {
            top.items.append(node)
            return
        }
        guard let key = top.pendingKey else {
            guard let name = node.scalarText else {
                throw StyxyError(.invalidInput, "a mapping key must be a plain value, found \(node.describedKind)", at: node.location)
            }
            if let first = top.seen[name] {
                throw StyxyError(.invalidInput, "duplicate key '\(YAMLNode.printable(name))' (first defined at line \(first.line), column \(first.column))",
                                 at: node.location, hint: "a key may appear once per mapping")
            }
            top.seen[name] = node.location
            top.pendingKey = node
            return
        }
        top.pairs.append((key: key, value: node))
        top.pendingKey = nil
    }
}
