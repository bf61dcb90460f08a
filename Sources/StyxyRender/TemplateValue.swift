/// A value a template can name: what the render context and a command's names are turned into
/// before rendering. Plain data, so rendering needs no dynamic casts (each first cast to a
/// protocol scanned every conformance in the binary) and no Foundation.
indirect enum TemplateValue: Sendable, Equatable {
    case text(String)
    case number(Int)
    case bool(Bool)
    /// An optional field that is absent. It is found by its name, so lookup stops at it instead of
    /// reaching an outer scope's field of the same name, and then it is neither printed nor true.
    case null
    case object([String: TemplateValue])
    case list([TemplateValue])

    /// The field `name` of an object; nil for every other value, which has no named children.
    func field(_ name: String) -> TemplateValue? {
        guard case .object(let fields) = self else { return nil }
        return fields[name]
    }

    /// What a tag prints for this value. Objects and lists cannot be printed (the validator
    /// refuses the tag), except the empty list an inverted section pushes, which the templates
    /// this engine replaces printed as `[]`.
    var printed: String {
        switch self {
        case .text(let text): text
        case .number(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .list(let items) where items.isEmpty: "[]"
        case .null, .object, .list: ""
        }
    }
}
