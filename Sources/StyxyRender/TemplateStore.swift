#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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
    /// holding the manifest (absolute paths are taken as they are).
    public static func load(
        reference: String, relativeTo manifestDirectory: String, allowedFolders: [String]? = nil
    ) throws(StyxyError) -> OutputTemplate {
        let found = try source(reference: reference, relativeTo: manifestDirectory, allowedFolders: allowedFolders)
        return try OutputTemplate(source: found.source, name: reference, displayName: found.displayName, isBuiltin: found.isBuiltin)
    }

    /// A template's text without compiling it: what a cache needs to tell whether it changed.
    ///
    /// A template file is read only from inside one of `allowedFolders` (default: the manifest's
    /// folder, which is the project root), through the same confined walk as outputs, so a
    /// manifest cannot copy `~/.aws/credentials` or `/proc/self/environ` into the project, by path
    /// or by link. The caller adds the user's configuration folder and the folders the user
    /// configuration allows (`template_folders`).
    public static func source(
        reference: String, relativeTo manifestDirectory: String, allowedFolders: [String]? = nil, workingDirectory: String? = nil
    ) throws(StyxyError) -> (source: String, displayName: String, isBuiltin: Bool) {
        guard isPath(reference) else {
            guard let source = builtinTemplateSources[reference] else { throw unknownBuiltin(reference) }
            return (source, "builtin:\(reference)", true)
        }
        // Shown in messages as the user would type it: `ports.mustache`, not `./ports.mustache`.
        var relative = Substring(reference)
        while relative.hasPrefix("./") { relative = relative.dropFirst(2) }
        let path = manifestDirectory == "." ? String(relative) : FileIO.join(manifestDirectory, String(relative))
        // `path` is for messages; a relative one is opened from the command's working folder.
        let file = path.hasPrefix("/") ? path : (workingDirectory.map { FileIO.join($0, path) } ?? path)
        guard let real = FileIO.realPath(file) else {
            if errno == ENOENT {
                throw StyxyError(.invalidInput, "template file does not exist", file: path,
                                 hint: "template paths are relative to the manifest's folder")
            }
            throw StyxyError(.invalidInput, "cannot read template: \(FileIO.errorText())", file: path)
        }
        let folders = (allowedFolders ?? [manifestDirectory.hasPrefix("/") ? manifestDirectory : FileIO.join(workingDirectory ?? ".", manifestDirectory)]).compactMap(FileIO.realPath)
        guard let (folder, inside) = folders.lazy.compactMap({ folder in
            ConfinedFolder.relative(real, below: folder).map { (folder, $0) }
        }).first else {
            throw StyxyError(
                .invalidInput, "template is outside the project (it is \(real)); templates are read only from the project and your configuration folder",
                file: path, hint: "copy it into the project, or allow its folder with `template_folders:` in your configuration (docs/configuration.md)")
        }
        let bytes: [UInt8]?
        do {
            bytes = try ConfinedFolder(path: folder).read(inside, limit: maximumSize)
        } catch {
            // 64 KiB is far beyond any real output template, and bounds what checking and
            // parsing one can cost.
            let reason = error.code == EFBIG ? "template is larger than 64 KiB" : "cannot read template: \(error.reason)"
            throw StyxyError(.invalidInput, reason, file: path)
        }
        guard let bytes else {
            throw StyxyError(.invalidInput, "template file does not exist", file: path,
                             hint: "template paths are relative to the manifest's folder")
        }
        guard let source = String(validating: bytes, as: UTF8.self) else {
            throw StyxyError(.invalidInput, "template is not UTF-8 text", file: path)
        }
        return (source, path, false)
    }
}
