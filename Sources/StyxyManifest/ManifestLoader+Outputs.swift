import StyxyCore

/// The `outputs:` list, and the text checks of paths written relative to the project root that
/// outputs share with a service's `cwd:`.
extension ManifestBuilder {

    mutating func readOutputs(_ node: YAMLNode) -> [Output] {
        guard let items = reader.list(node, path: "outputs") else { return [] }
        var outputs: [Output] = []
        var seen: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let path = "outputs[\(index)]"
            guard let fields = reader.mapping(item, path: path, allowed: ManifestKeys.outputNames) else { continue }
            guard let templateNode = fields["template"], let pathNode = fields["path"] else {
                for key in ["template", "path"] where fields[key] == nil {
                    reader.bag.error("missing '\(key)'", at: item, path: path)
                }
                continue
            }
            let template = readTemplate(templateNode, path: "\(path).template")
            let normalised = reader.string(pathNode, path: "\(path).path", what: "a file path").flatMap {
                normaliseOutputPath($0, at: pathNode, path: "\(path).path")
            }
            guard let template, let normalised else { continue }
            if let first = seen[normalised] {
                reader.bag.error("output '\(normalised)' is also written by outputs[\(first)]", at: pathNode, path: "\(path).path")
                continue
            }
            seen[normalised] = index
            outputs.append(Output(template: template, path: normalised, location: item.location))
        }
        return outputs
    }

    mutating func readTemplate(_ node: YAMLNode, path: String) -> Output.Template? {
        guard let name = reader.string(node, path: path, what: "a template name or path") else { return nil }
        let looksLikePath = name.contains("/") || name.contains(".")
        if !looksLikePath {
            if builtinTemplates.contains(name) { return .builtin(name) }
            reader.bag.error("unknown built-in template '\(name)'", at: node, path: path,
                             hint: suggestion(for: name, among: builtinTemplates.sorted()) ??
                                "built-in templates: \(builtinTemplates.sorted().joined(separator: ", ")); a file of your own is named by a path such as ./ports.mustache")
            return nil
        }
        let resolved = FileIO.join(root, name)
        if FileIO.isDirectory(resolved) {
            reader.bag.error("template '\(name)' is a folder, not a file", at: node, path: path)
            return nil
        }
        if !FileIO.exists(resolved) {
            reader.bag.error("template file '\(name)' does not exist", at: node, path: path,
                             hint: "paths are relative to the manifest's folder")
            return nil
        }
        return .file(written: name, resolved: resolved)
    }

    /// Linux's NAME_MAX and PATH_MAX less its terminating NUL.
    static let maximumNameLength = 255
    static let maximumPathLength = 4095

    /// A path cut to a readable length for a message.
    static func shortened(_ text: String) -> String {
        text.utf8.count <= 80 ? text : String(decoding: text.utf8.prefix(60), as: UTF8.self) + "…"
    }

    /// Lexical checks only; symlinks are checked when writing.
    mutating func normaliseOutputPath(_ written: String, at node: YAMLNode, path: String) -> String? {
        guard let parts = relativeParts(written, at: node, path: path, as: .output) else { return nil }
        if written.hasSuffix("/") || parts.isEmpty {
            reader.bag.error("output path '\(written)' names a folder, not a file", at: node, path: path)
            return nil
        }
        let normalised = parts.joined(separator: "/")
        if normalised == FileIO.basename(self.path) && !normalised.contains("/") {
            reader.bag.error("output path '\(written)' would overwrite the manifest", at: node, path: path)
            return nil
        }
        if parts.first == ".git" {
            reader.bag.error("output path '\(written)' is inside .git", at: node, path: path)
            return nil
        }
        return normalised
    }

    /// What a relative path is for, in the words of its messages.
    struct PathUse {
        var noun: String
        var what: String
        var inside: String
        var leavesHint: String

        static let output = PathUse(noun: "output path", what: "a file path", inside: "outputs stay inside the project",
                                    leavesHint: "outputs stay inside the folder holding the manifest")
        static let workingFolder = PathUse(noun: "cwd", what: "a folder path", inside: "a service's folder is inside the project",
                                           leavesHint: "cwd: names a folder inside the one holding the manifest")
    }

    /// The parts of a path written relative to the project root, `.` dropped and `..` applied,
    /// or nil after saying why the text alone rules it out.
    mutating func relativeParts(_ written: String, at node: YAMLNode, path: String, as use: PathUse) -> [Substring]? {
        if written.isEmpty {
            reader.bag.error("expected \(use.what), found an empty string", at: node, path: path)
            return nil
        }
        // The writer passes paths to the kernel as C strings, which a NUL would cut short, and no
        // file system takes longer names; say so here, where `validate` sees it, not at the write.
        if written.utf8.contains(0) {
            reader.bag.error("\(use.noun) '\(Self.shortened(written))' contains a NUL byte", at: node, path: path)
            return nil
        }
        if written.utf8.count > Self.maximumPathLength
            || written.split(separator: "/").contains(where: { $0.utf8.count > Self.maximumNameLength }) {
            reader.bag.error("\(use.noun) '\(Self.shortened(written))' is longer than a file system allows", at: node, path: path,
                             hint: "at most \(Self.maximumNameLength) bytes a name and \(Self.maximumPathLength) in all")
            return nil
        }
        if written.hasPrefix("/") || written.hasPrefix("~") {
            reader.bag.error("\(use.noun) '\(written)' is absolute; \(use.inside)", at: node, path: path,
                             hint: "write it relative to the manifest's folder")
            return nil
        }
        var parts: [Substring] = []
        for part in written.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if parts.isEmpty {
                    reader.bag.error("\(use.noun) '\(written)' leaves the project folder", at: node, path: path, hint: use.leavesHint)
                    return nil
                }
                parts.removeLast()
                continue
            }
            parts.append(part)
        }
        return parts
    }
}
