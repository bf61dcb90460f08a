import StyxyCore

/// The shape of a render context: which names exist and what each holds. Templates are checked
/// against a shape, not against one project's data, so a mistake inside `{{#services}}` is found
/// even for a project that has no services yet.
indirect enum Shape: Equatable, Sendable {
    case scalar
    case bool
    case null
    /// The element of an empty list: anything goes, nothing can be said.
    case unknown
    case object([String: Shape])
    case list(Shape)

    static func infer(_ value: TemplateValue) -> Shape {
        switch value {
        case .object(let object): .object(object.mapValues(infer))
        case .list(let list): .list(list.map(infer).reduce(.unknown) { $0.merged(with: $1) })
        case .bool: .bool
        case .null: .null
        case .text, .number: .scalar
        }
    }

    /// The union of two shapes: an object that is sometimes null is an object, and list elements
    /// that differ in their optional fields have every field.
    func merged(with other: Shape) -> Shape {
        switch (self, other) {
        case (.unknown, _), (.null, _): return other
        case (_, .unknown), (_, .null): return self
        case let (.object(a), .object(b)): return .object(a.merging(b) { $0.merged(with: $1) })
        case let (.list(a), .list(b)): return .list(a.merged(with: b))
        default: return self
        }
    }

    fileprivate var kindName: String {
        switch self {
        case .object: "an object"
        case .list: "a list"
        default: "a value"
        }
    }
}

/// Checks every name a template uses against a context shape, with the renderer's lookup rules:
/// `a.b` finds `a` in the innermost scope that has it, then `b` inside it only; `.x` looks in the
/// innermost scope only; a list section pushes its element, an object section the object, and a
/// boolean section nothing. Every problem is collected, so one run reports them all.
struct TemplateValidator {
    let file: String
    /// Said when there is no near miss to suggest.
    let fallbackHint: String
    /// The context's own shape: the outermost scope, which no section closes.
    private let root: Shape
    private var scopes: [Shape]
    /// Per open section: whether it pushed a scope.
    private var pushed: [Bool] = []
    private(set) var diagnostics: [Diagnostic] = []

    static func validate(_ tags: [TemplateTag], against root: Shape, file: String, fallbackHint: String) -> [Diagnostic] {
        var validator = TemplateValidator(file: file, fallbackHint: fallbackHint, root: root)
        for tag in tags { validator.check(tag) }
        return validator.diagnostics
    }

    private init(file: String, fallbackHint: String, root: Shape) {
        self.file = file
        self.fallbackHint = fallbackHint
        self.root = root
        self.scopes = [root]
    }

    /// The scope `.` names: the innermost section's, or the root's.
    private var innermost: Shape { scopes.last ?? root }

    private mutating func check(_ tag: TemplateTag) {
        switch tag.kind {
        case .variable, .unescapedVariable:
            guard let shape = resolve(tag) else { return }
            switch shape {
            case .object, .list:
                let what = tag.name == "." ? "the current item" : "'\(tag.name)'"
                report("\(what) is \(shape.kindName), which prints as nothing useful", tag,
                       hint: "open it as a section, {{#\(tag.name)}}…{{/\(tag.name)}}, and print its fields")
            default: break
            }
        case .section:
            let shape = resolve(tag)
            switch shape {
            case .list(let element): open(element)
            case .bool: pushed.append(false)
            case .some(let other): open(other)
            case .none: open(.unknown)  // already reported; accept what is inside
            }
        case .invertedSection:
            _ = resolve(tag)
            pushed.append(false)
        case .close:
            if pushed.popLast() == true { scopes.removeLast() }
        case .partial, .block, .parent:
            report("partials and template inheritance ('\(tag.name)') are not supported", tag,
                   hint: "a Styxy template is one self-contained file")
            if tag.kind != .partial { pushed.append(false) }
        case .comment, .setDelimiters, .pragma:
            break
        }
    }

    private mutating func open(_ scope: Shape) {
        scopes.append(scope)
        pushed.append(true)
    }

    /// The shape `tag.name` resolves to, or nil after reporting why it does not.
    private mutating func resolve(_ tag: TemplateTag) -> Shape? {
        let name = tag.name
        if name == "." { return innermost }
        if name.contains("(") {
            report("transforms such as '\(name)' are not supported", tag,
                   hint: "use the context's ready-made fields (x_json, x_shell, x_dotenv, x_yaml, first, last)")
            return nil
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let localOnly = name.hasPrefix(".")
        let path = localOnly ? Array(parts.dropFirst()) : parts
        if path.isEmpty || path.contains("") {
            report("'\(name)' is not a valid name", tag)
            return nil
        }
        var current: Shape
        if localOnly {
            current = innermost
        } else {
            guard let found = scopes.reversed().lazy.compactMap({ $0.lookup(path[0]) }).first else {
                let visible = scopes.flatMap(\.keys)
                report("unknown name '\(path[0])'", tag, hint: Self.suggestion(for: path[0], among: visible))
                return nil
            }
            current = found
        }
        for (offset, part) in path.enumerated() where localOnly || offset > 0 {
            guard let next = current.lookup(part) else {
                let owner = localOnly && offset == 0 ? "the current item" : "'\(path[..<offset].joined(separator: "."))'"
                report("\(owner) has no field '\(part)'", tag, hint: Self.suggestion(for: part, among: current.keys))
                return nil
            }
            current = next
        }
        return current
    }

    private mutating func report(_ message: String, _ tag: TemplateTag, hint: String? = nil) {
        diagnostics.append(Diagnostic(
            .error, message, at: SourceLocation(file: file, line: tag.line, column: tag.column),
            hint: hint ?? fallbackHint))
    }

    /// "did you mean" for a near miss (an edit or two away); nil when nothing is close.
    static func suggestion(for name: String, among candidates: [String]) -> String? {
        let limit = max(1, min(2, name.count / 3))
        let best = Set(candidates)
            .map { (name: $0, distance: editDistance(name, $0)) }
            .filter { $0.distance <= limit }
            .min { ($0.distance, $0.name) < ($1.distance, $1.name) }
        return best.map { "did you mean '\($0.name)'?" }
    }

    /// Edits between two names, a swap of neighbours counting as one (`iu` is one from `ui`).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}

extension Shape {
    /// What lookup finds under `name` in a scope: only objects have named children.
    fileprivate func lookup(_ name: String) -> Shape? {
        switch self {
        case .object(let fields): fields[name]
        case .unknown: .unknown
        default: nil
        }
    }

    fileprivate var keys: [String] {
        if case .object(let fields) = self { return Array(fields.keys) }
        return []
    }
}
