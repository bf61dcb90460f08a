import StyxyCore

/// How much rendering one output may produce and do (DESIGN §9; docs/templates.md#output-size).
///
/// Sections over different lists nested in each other multiply: a 107-byte template walking
/// services × variables × ports × env × command_services is gigabytes for a large project, and
/// rendering would build it all in memory for minutes. Before rendering, `RenderBound` works out an
/// upper bound of both quantities from the template's tags and the context's largest lists and
/// values, and a template that could pass either limit is refused at the tag where it would.
public enum RenderLimits {
    /// Bytes of one rendered output.
    public static let maximumBytes = 8 << 20
    /// Tags evaluated plus list items visited: the cost of rendering even what prints nothing (an
    /// empty section inside three nested lists still visits every combination); a few seconds at worst.
    public static let maximumSteps = 1 << 20
}

/// Bytes written and steps taken, saturating instead of overflowing.
struct RenderCost: Equatable {
    var bytes = 0
    var steps = 0

    static func + (a: RenderCost, b: RenderCost) -> RenderCost {
        RenderCost(bytes: saturating(a.bytes, plus: b.bytes), steps: saturating(a.steps, plus: b.steps))
    }

    /// A section's content rendered `count` times, each visit a step of its own.
    func repeated(_ count: Int) -> RenderCost {
        RenderCost(bytes: saturating(bytes, times: count), steps: saturating(saturating(steps, plus: 1), times: count))
    }

    func scaled(_ factor: Int) -> RenderCost {
        RenderCost(bytes: saturating(bytes, times: factor), steps: saturating(steps, times: factor))
    }

    var exceedsLimits: Bool { bytes > RenderLimits.maximumBytes || steps > RenderLimits.maximumSteps }
}

private func saturating(_ a: Int, plus b: Int) -> Int {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? .max : sum
}

private func saturating(_ a: Int, times b: Int) -> Int {
    let (product, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow ? .max : product
}

/// The largest value under each name of a prepared context. Lookup resolves `a.b.c` to a value
/// stored under the key `c` (objects are the only values with named children), so a tag
/// prints at most the longest scalar stored under its last name part, and a section repeats at most
/// as often as the longest list stored under it.
struct ContextExtent {
    private(set) var scalarBytes: [String: Int] = [:]
    private(set) var listItems: [String: Int] = [:]
    /// For `{{.}}` and `{{#.}}`, which can be any value.
    private(set) var longestScalar = 0
    private(set) var longestList = 0

    init(_ value: TemplateValue) {
        visit(value, key: nil)
    }

    func bytes(named name: String) -> Int {
        guard let key = Self.key(name) else { return longestScalar }
        return scalarBytes[key] ?? 0
    }

    func items(named name: String) -> Int {
        guard let key = Self.key(name) else { return longestList }
        return listItems[key] ?? 0
    }

    /// The name a lookup ends on; nil for `.`, the current item.
    private static func key(_ name: String) -> String? {
        name.split(separator: ".").last.map(String.init)
    }

    private mutating func visit(_ value: TemplateValue, key: String?) {
        switch value {
        case .object(let object):
            for (name, child) in object { visit(child, key: name) }
        case .list(let list):
            if let key { listItems[key] = max(listItems[key] ?? 0, list.count) }
            longestList = max(longestList, list.count)
            for element in list { visit(element, key: nil) }
        case .null:
            break  // prints nothing, and stops a section
        case .text, .number, .bool:
            let bytes = value.printed.utf8.count
            if let key { scalarBytes[key] = max(scalarBytes[key] ?? 0, bytes) }
            longestScalar = max(longestScalar, bytes)
        }
    }
}

/// A template's tags, ready to be measured against a context.
struct RenderBound {
    /// Where rendering could pass a limit: the tag, what it would reach there, and the list
    /// sections whose repetitions multiply to it, outermost first.
    struct Excess {
        var tag: TemplateTag?
        var reach: RenderCost
        var lists: [(name: String, items: Int)]
    }

    private let tags: [TemplateTag]
    private let sourceBytes: Int
    /// `{{%CONTENT_TYPE:HTML}}` turns on escaping, which writes up to six bytes (`&quot;`) for one.
    private let escaping: Int

    init(tags: [TemplateTag], sourceBytes: Int) {
        self.tags = tags
        self.sourceBytes = sourceBytes
        escaping = tags.contains { $0.kind == .pragma } ? 6 : 1
    }

    private struct Frame {
        var tag: TemplateTag?
        var repeats: Int
        var cost = RenderCost()
        /// The list sections inside it that weigh most, outermost first, for the message.
        var heaviest: (bytes: Int, lists: [(name: String, items: Int)]) = (0, [])

        /// This section's list, if it repeats, and the heaviest ones inside it.
        var lists: [(name: String, items: Int)] {
            guard let tag, tag.kind == .section, repeats > 1 else { return heaviest.lists }
            return [(tag.name, repeats)] + heaviest.lists
        }
    }

    /// The bound of rendering against `extent`, or the first tag, in the order rendering finishes
    /// them, at which it passes a limit.
    func measure(_ extent: ContextExtent) -> Result<RenderCost, Excess> {
        var frames = [Frame(tag: nil, repeats: 1)]
        var cursor = 0

        func add(_ cost: RenderCost, at tag: TemplateTag?, closing: Frame? = nil) -> Excess? {
            frames[frames.count - 1].cost = frames[frames.count - 1].cost + cost
            guard frames[frames.count - 1].cost.exceedsLimits else { return nil }
            let reach = frames.dropFirst().reduce(frames[frames.count - 1].cost) { $0.scaled($1.repeats) }
            let enclosing = frames.dropFirst().flatMap { frame in
                frame.tag.map { $0.kind == .section && frame.repeats > 1 ? [($0.name, frame.repeats)] : [] } ?? []
            }
            return Excess(tag: tag, reach: reach, lists: enclosing + (closing?.lists ?? []))
        }

        for tag in tags {
            if let excess = add(RenderCost(bytes: tag.start - cursor), at: tag) { return .failure(excess) }
            cursor = tag.end
            switch tag.kind {
            case .variable, .unescapedVariable:
                let bytes = extent.bytes(named: tag.name) * (tag.kind == .variable ? escaping : 1)
                if let excess = add(RenderCost(bytes: bytes, steps: 1), at: tag) { return .failure(excess) }
            case .section:
                frames.append(Frame(tag: tag, repeats: max(1, extent.items(named: tag.name))))
            case .invertedSection, .block, .parent:
                frames.append(Frame(tag: tag, repeats: 1))
            case .close:
                let frame = frames.removeLast()
                let cost = frame.cost.repeated(frame.repeats)
                if cost.bytes >= frames[frames.count - 1].heaviest.bytes {
                    frames[frames.count - 1].heaviest = (cost.bytes, frame.lists)
                }
                if let excess = add(cost, at: frame.tag, closing: frame) { return .failure(excess) }
            case .comment, .setDelimiters, .pragma, .partial:
                break
            }
        }
        if let excess = add(RenderCost(bytes: sourceBytes - cursor), at: tags.last) { return .failure(excess) }
        return .success(frames[0].cost)
    }
}

extension RenderBound.Excess: Error {
    /// Exit status 65 at the tag, saying what the output could reach and which lists multiply.
    func error(file: String) -> StyxyError {
        let what: String
        switch tag.map({ ($0.kind, $0.name) }) {
        case let (.section, name)?, let (.invertedSection, name)?: what = "section '\(name)'"
        case let (_, name)?: what = "'\(name)'"
        case nil: what = "this template"
        }
        let message = reach.bytes > RenderLimits.maximumBytes
            ? "\(what) could make this output larger than \(FileIO.sizeText(RenderLimits.maximumBytes)) (up to \(FileIO.sizeText(reach.bytes)) for this project)"
            : "\(what) could take more than \(Self.count(RenderLimits.maximumSteps)) steps to render (up to \(Self.count(reach.steps)) tags and list items for this project)"
        let hint = lists.count >= 2
            ? "sections over different lists inside each other multiply: "
                + lists.map { "\($0.name) (\(Self.count($0.items)))" }.joined(separator: " × ") + "; render each list on its own"
            : "docs/templates.md#output-size describes the limits"
        let at = SourceLocation(file: file, line: tag?.line ?? 1, column: tag?.column ?? 1)
        return StyxyError(.invalidInput, message, at: at, hint: hint)
    }

    /// 1048576 → `1,048,576`.
    static func count(_ value: Int) -> String {
        if value == .max { return "more than 9 quintillion" }
        var digits = Array(String(value))
        var index = digits.count - 3
        while index > 0 {
            digits.insert(",", at: index)
            index -= 3
        }
        return String(digits)
    }
}
