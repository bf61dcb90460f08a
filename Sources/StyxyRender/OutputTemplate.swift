import StyxyCore

/// A template checked against the render context and ready to render. Every failure of the
/// template itself (syntax, unknown name, unsupported feature) surfaces when it is made, as exit
/// status 65 with `file:line:col`, so `styxy validate` can check templates without leasing
/// anything. Rendering fails only when this context would make the output too large
/// (`RenderLimits`), which is known before a byte is rendered.
public struct OutputTemplate: Sendable {
    /// The built-in name, or the reference as the manifest wrote it.
    public let name: String
    /// What diagnostics call the file: `builtin:<name>` or the template's path.
    public let displayName: String
    public let source: String
    public let isBuiltin: Bool
    private let compiled: CompiledTemplate
    let bound: RenderBound

    public init(source: String, name: String, displayName: String, isBuiltin: Bool = false) throws(StyxyError) {
        self.name = name
        self.displayName = displayName
        self.source = source
        self.isBuiltin = isBuiltin
        let (compiled, tags) = try StrictMustache.compileWithTags(
            source, against: RenderContext.schema, file: displayName,
            fallbackHint: "the render context is described in docs/templates.md")
        self.compiled = compiled
        self.bound = RenderBound(tags: tags, sourceBytes: source.utf8.count)
    }

    /// The rendered text, byte for byte what the output file should hold.
    public func render(_ context: RenderContext) throws(StyxyError) -> String {
        try render(PreparedContext(context))
    }

    /// Refuses the template, without rendering, when its output could pass `RenderLimits` for
    /// this context: lets a command refuse before it leases anything.
    public func checkLimits(_ prepared: PreparedContext) throws(StyxyError) {
        if case .failure(let excess) = bound.measure(prepared.extent) { throw excess.error(file: displayName) }
    }

    /// The same, for a context already converted (one conversion serves every output). Refused,
    /// before anything renders, when the output could pass `RenderLimits` for this context.
    public func render(_ prepared: PreparedContext) throws(StyxyError) -> String {
        try checkLimits(prepared)
        let text = compiled.render(prepared.value)
        // The bound is an upper one by construction; this holds the promise should it ever not be.
        if text.utf8.count > RenderLimits.maximumBytes {
            throw StyxyError(.invalidInput, "the output is larger than \(FileIO.sizeText(RenderLimits.maximumBytes))",
                             file: displayName, hint: "docs/templates.md#output-size describes the limits")
        }
        return text
    }
}

/// A render context converted once into what templates read, with its largest values.
public struct PreparedContext {
    let value: TemplateValue
    let extent: ContextExtent

    public init(_ context: RenderContext) {
        value = context.mustacheValue
        extent = ContextExtent(value)
    }
}

/// Parsing plus the checks Mustache itself does not make.
enum StrictMustache {
    static func compile(
        _ source: String, against shape: Shape, file: String, fallbackHint: String
    ) throws(StyxyError) -> CompiledTemplate {
        try compileWithTags(source, against: shape, file: file, fallbackHint: fallbackHint).template
    }

    /// The same, with the tags the scanner found, for measuring what rendering can produce. The
    /// scanner's syntax errors come first, then the parser's, then every name problem at once.
    static func compileWithTags(
        _ source: String, against shape: Shape, file: String, fallbackHint: String
    ) throws(StyxyError) -> (template: CompiledTemplate, tags: [TemplateTag]) {
        let tags = try TemplateScanner.scan(source, file: file)
        let template: CompiledTemplate
        do {
            template = try CompiledTemplate(parsing: source)
        } catch {
            throw StyxyError(.invalidInput, describe(error.failure),
                             at: SourceLocation(file: file, line: error.line, column: error.column))
        }
        let problems = TemplateValidator.validate(tags, against: shape, file: file, fallbackHint: fallbackHint)
        if !problems.isEmpty { throw StyxyError(.invalidInput, problems) }
        return (template, tags)
    }

    static func describe(_ failure: MustacheParser.Failure) -> String {
        switch failure {
        case .overflow: return "invalid template: overflow"
        case .sectionCloseNameIncorrect: return "closing tag does not match the section it closes"
        case .unfinishedName: return "malformed tag: a name may hold letters, digits and . - _ ? *"
        case .expectedSectionEnd: return "a section is never closed"
        case .invalidSetDelimiter: return "malformed delimiter change; write it as {{=<% %>=}}"
        case .transformAppliedToInheritanceSection, .illegalTokenInsideInheritSection:
            return "template inheritance is not supported"
        case .invalidConfigVariableSyntax: return "malformed pragma; write it as {{%CONTENT_TYPE:TEXT}}"
        case .unrecognisedConfigVariable: return "unknown pragma; only CONTENT_TYPE (TEXT or HTML) exists"
        }
    }
}
