import StyxyCore

/// Where templates come from: the built-ins compiled into the binary (sources in `templates/`,
/// embedded by scripts/generate-embedded.py), or a file the manifest names.
public enum TemplateStore {
    static let maximumSize = 64 * 1024

    /// Sorted, for `styxy template ls` and for the manifest's check of built-in names.
    public static let builtinNames: [String] = builtinTemplateSources.keys.sorted()

    /// The source text of a built-in template, for `styxy template show`; nil for unknown names.
    public static func source(of name: String) -> String? {
        builtinTemplateSources[name]
    }

    /// A built-in template, compiled and checked.
    public static func builtin(_ name: String) throws(StyxyError) -> OutputTemplate {
        guard let source = builtinTemplateSources[name] else { throw unknownBuiltin(name) }
        return try OutputTemplate(source: source, name: name, displayName: "builtin:\(name)", isBuiltin: true)
    }

    private static func unknownBuiltin(_ name: String) -> StyxyError {
        StyxyError(
            .invalidInput, "unknown built-in template '\(name)'",
            hint: TemplateValidator.suggestion(for: name, among: builtinNames)
                ?? "built-in templates: \(builtinNames.joined(separator: ", "))")
    }

    /// The same rule as the manifest's: a reference holding `/` or `.` is a file path
    /// (`./ports.mustache`), anything else names a built-in.
    public static func isPath(_ reference: String) -> Bool {
        reference.contains("/") || reference.contains(".")
    }

    /// Resolves an `outputs[].template` value: a built-in name, or a path relative to the folder
    /// holding the manifest (absolute paths are taken as they are). Reading a template from outside
    /// the project is allowed: it is only read, and shared templates in a monorepo live there.
    public static func load(reference: String, relativeTo manifestDirectory: String) throws(StyxyError) -> OutputTemplate {
        let found = try source(reference: reference, relativeTo: manifestDirectory)
        return try OutputTemplate(source: found.source, name: reference, displayName: found.displayName, isBuiltin: found.isBuiltin)
    }

    /// A template's text without compiling it: what a cache needs to tell whether it changed.
    public static func source(
        reference: String, relativeTo manifestDirectory: String
    ) throws(StyxyError) -> (source: String, displayName: String, isBuiltin: Bool) {
        guard isPath(reference) else {
            guard let source = builtinTemplateSources[reference] else { throw unknownBuiltin(reference) }
            return (source, "builtin:\(reference)", true)
        }
        // Shown in messages as the user would type it: `ports.mustache`, not `./ports.mustache`.
        var relative = Substring(reference)
        while relative.hasPrefix("./") { relative = relative.dropFirst(2) }
        let path = manifestDirectory == "." ? String(relative) : FileIO.join(manifestDirectory, String(relative))
        let bytes: [UInt8]?
        do {
            bytes = try FileIO.read(path)
        } catch {
            throw StyxyError(.invalidInput, "cannot read template: \(FileIO.errorText(error.code))", file: path)
        }
        guard let bytes else {
            throw StyxyError(
                .invalidInput, "template file does not exist", file: path,
                hint: "template paths are relative to the manifest's folder")
        }
        // swift-mustache's parser is quadratic in the number of tags; 64 KiB keeps the worst case
        // near a second and is far beyond any real output template.
        if bytes.count > maximumSize {
            throw StyxyError(.invalidInput, "template is larger than 64 KiB", file: path)
        }
        guard let source = String(validating: bytes, as: UTF8.self) else {
            throw StyxyError(.invalidInput, "template is not UTF-8 text", file: path)
        }
        return (source, path, false)
    }
}
