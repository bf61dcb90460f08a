import StyxyCore
import StyxyEngine
import StyxyRender

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the last successful render of one project instance produced, so a warm resolve can prove
/// its outputs current without compiling or rendering a template.
///
/// The key covers everything rendering reads: this build's render version, every template's
/// source and the full render context (ports included). On a hit Styxy still reads each output
/// file and compares its digest with the one recorded after the last write, so a hand edit, a
/// deleted file or a changed template always falls through to a real render. The file lives in
/// the state home (`renders/`); losing or corrupting it costs one render, never a wrong output.
struct RenderCache {
    /// Bump when the render context or rendering changes in a way template sources do not show.
    static let renderVersion = "2"

    let path: String
    let home: String
    /// The entry's path inside the state home.
    let relativePath: String

    init(home: StateHome, root: String, instance: String) {
        var name = Digest()
        name.add(root)
        name.add(instance)
        self.home = home.path
        relativePath = "renders/\(name.hex).json"
        path = FileIO.join(home.path, relativePath)
    }

    /// The largest cache entry read back; a real one is a few hundred bytes.
    static let readLimit = 1 << 20

    struct Entry: Equatable {
        var templates: String
        var key: String
        var outputs: [(path: String, digest: String)]

        static func == (a: Entry, b: Entry) -> Bool {
            a.templates == b.templates && a.key == b.key && a.outputs.elementsEqual(b.outputs) { $0 == $1 }
        }
    }

    static func templatesDigest(_ sources: [String]) -> String {
        var digest = Digest()
        digest.add(renderVersion)
        for source in sources { digest.add(source) }
        return digest.hex
    }

    /// Covers the templates, every field of the render context (its fingerprint is derived from
    /// the context's own fields, so a new field cannot be forgotten) and the output paths.
    static func key(templates: String, context: RenderContext, paths: [String]) -> String {
        var digest = Digest()
        digest.add(templates)
        digest.add(context.fingerprint)
        for path in paths { digest.add(path) }
        return digest.hex
    }

    func load() -> Entry? {
        guard let folder = try? ConfinedFolder(path: home), let bytes = try? folder.read(relativePath, limit: Self.readLimit),
              let json = try? JSONValue.parse(bytes),
              let templates = json["templates"]?.stringValue, let key = json["key"]?.stringValue,
              let outputs = json["outputs"]?.arrayValue
        else { return nil }
        var pairs: [(String, String)] = []
        for output in outputs {
            guard let path = output["path"]?.stringValue, let digest = output["digest"]?.stringValue else { return nil }
            pairs.append((path, digest))
        }
        return Entry(templates: templates, key: key, outputs: pairs)
    }

    /// True when every recorded output still holds exactly what was last written. Outputs are
    /// read through the project's confined folder, like every write to them: an output swapped
    /// for a FIFO, a device or a link out of the project is a miss, never a hang.
    static func outputsMatch(_ entry: Entry, root: String) -> Bool {
        guard let folder = try? ConfinedFolder(path: root) else { return false }
        return entry.outputs.allSatisfy { output in
            guard let bytes = try? folder.read(output.path, limit: OutputWriter.readLimit) else { return false }
            return Digest.of(bytes) == output.digest
        }
    }

    /// Temp files left by commands killed while writing a cache entry (`.NAME.tmp-PID-N`): only
    /// those whose process is gone, so a concurrent writer's file is never taken from under it.
    static func removeOrphans(in folder: String) {
        for name in FileIO.list(folder) where name.hasPrefix(".") && name.contains(".tmp-") {
            let pidText = name.split(separator: "-").dropLast().last
            guard let pid = pidText.flatMap({ Int32($0) }), kill(pid, 0) != 0, errno == ESRCH else { continue }
            unlink(FileIO.join(folder, name))
        }
    }

    /// Removes the entries of project instances that no lease names any more, so `renders/` does
    /// not grow by one file per CI job (`--instance job-$RUN_ID`) forever. Run after `lease
    /// release` and `lease prune`. A concurrent resolve that loses its fresh entry this way only
    /// renders once more; temp files are left to `removeOrphans`.
    package static func sweep(home: StateHome, keeping leases: [Lease]) {
        let folder = FileIO.join(home.path, "renders")
        let kept = Set(leases.compactMap { lease in lease.key.root.map { RenderCache(home: home, root: $0, instance: lease.key.instance).path } })
        for name in FileIO.list(folder) where !name.hasPrefix(".") && name.hasSuffix(".json") {
            let path = FileIO.join(folder, name)
            if !kept.contains(path) { unlink(path) }
        }
    }

    /// Records the outputs as they are on disk now. Failures are ignored: the cache is an optimisation.
    func store(templates: String, key: String, outputs: [String], root: String) {
        guard let project = try? ConfinedFolder(path: root), let state = try? ConfinedFolder(path: home) else { return }
        var recorded: [JSONValue] = []
        for output in outputs {
            guard let bytes = try? project.read(output, limit: OutputWriter.readLimit) else { return }
            recorded.append(.object([("path", .string(output)), ("digest", .string(Digest.of(bytes)))]))
        }
        let json = JSONValue.object([("templates", .string(templates)), ("key", .string(key)), ("outputs", .array(recorded))])
        Self.removeOrphans(in: FileIO.directory(of: path))
        try? state.replace(relativePath, with: Array(json.serialized(compact: true).utf8), mode: 0o600, durable: false, folderMode: 0o700)
    }
}
