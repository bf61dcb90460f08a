#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StyxyCore

/// One rendered output, ready to be compared and written.
public struct PlannedOutput: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Styxy owns the whole file.
        case file
        /// Styxy owns one marked block of the file (`DotenvBlock`); `content` is the block's body.
        case dotenvBlock
    }

    /// Relative to the project root.
    public var relativePath: String
    public var content: String
    public var kind: Kind

    public init(relativePath: String, content: String, kind: Kind = .file) {
        self.relativePath = relativePath
        self.content = content
        self.kind = kind
    }
}

public enum OutputMode: Sendable, Equatable {
    case write
    /// Write nothing; report which outputs are stale (`styxy resolve --check`).
    case check
    /// Write nothing; report what would change, with a diff per changed file.
    case dryRun
}

public struct OutputResult: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable {
        case unchanged, created, updated
    }

    public var relativePath: String
    /// The file written (or that would be): a symlinked output's real path.
    public var path: String
    /// What happened in `.write` mode, or would happen in `.check` and `.dryRun`.
    public var status: Status
    /// A unified diff, in `.check` and `.dryRun` mode, for outputs that are not unchanged.
    public var diff: String?

    public var isStale: Bool { status != .unchanged }

    public init(relativePath: String, path: String, status: Status, diff: String? = nil) {
        self.relativePath = relativePath
        self.path = path
        self.status = status
        self.diff = diff
    }
}

/// Writes a set of outputs all-or-nothing as far as the file system allows: every path is checked,
/// every file read and merged and every folder's writability tested before the first byte is
/// written, and a file is replaced (atomically, durably) only when its bytes change, so an
/// unchanged output keeps its modification time. All problems found while planning are reported
/// together, with exit status 73.
///
/// Every path goes through one `ConfinedFolder` of the project root (DESIGN §9): nothing is read
/// or written outside the root, inside any `.git`, in the state home, or over the manifest or a
/// template in use, whatever links the project holds; and a file Styxy did not write is replaced
/// only with `adopt`, after a backup.
public struct OutputWriter {
    /// The most an existing output may hold for Styxy to read it (a `.env` with the user's own lines).
    public static let readLimit = 16 << 20

    public let root: String
    /// Files no output may be, with what to call them: the manifest, the templates in use.
    public var protectedFiles: [(path: String, label: String)]
    /// Folders no output may enter: the state home.
    public var protectedFolders: [(path: String, label: String)]
    /// Where Styxy remembers what it wrote; nil keeps no record (the marker and `.styxy/` still count).
    public var records: OutputRecords?
    /// Take over files Styxy did not write, keeping a backup of each (`resolve --adopt`).
    public var adopt: Bool

    /// `root` is the project root; it is canonicalised again here, since every safety check
    /// compares real paths against it.
    public init(
        root: String, protectedFiles: [(path: String, label: String)] = [],
        protectedFolders: [(path: String, label: String)] = [], records: OutputRecords? = nil, adopt: Bool = false
    ) {
        self.root = root
        self.protectedFiles = protectedFiles
        self.protectedFolders = protectedFolders
        self.records = records
        self.adopt = adopt
    }

    func confinedRoot() throws(StyxyError) -> ConfinedFolder {
        let folder: ConfinedFolder
        do {
            folder = try ConfinedFolder(path: root)
        } catch {
            throw StyxyError(.cannotWriteOutput, "the project root cannot be opened: \(error.reason)", file: root)
        }
        for (path, label) in protectedFiles { folder.protectFile(path, as: label) }
        for (path, label) in protectedFolders { folder.protectFolder(path, as: label) }
        return folder
    }

    public func apply(_ outputs: [PlannedOutput], mode: OutputMode) throws(StyxyError) -> [OutputResult] {
        let folder = try confinedRoot()
        var problems: [Diagnostic] = []
        var plans: [Plan] = []
        var claimed: [String: String] = [:]
        for output in outputs {
            do throws(StyxyError) {
                let plan = try Plan(output, folder: folder, records: records, adopt: adopt)
                if let other = claimed[plan.entry.path] {
                    throw StyxyError(.cannotWriteOutput, "written by two outputs ('\(other)' too)", file: output.relativePath,
                                     hint: "give each output its own path")
                }
                claimed[plan.entry.path] = output.relativePath
                plans.append(plan)
            } catch {
                problems += error.diagnostics
            }
        }
        if !problems.isEmpty { throw StyxyError(.cannotWriteOutput, problems) }

        let results = plans.map { $0.result(withDiff: mode != .write) }
        guard mode == .write else { return results }

        let changed = plans.filter { $0.status != .unchanged }
        problems = changed.compactMap(\.writabilityProblem)
        if !problems.isEmpty { throw StyxyError(.cannotWriteOutput, problems) }
        var written: [String] = []
        for plan in changed {
            do {
                try plan.write(folder: folder, records: records)
                written.append(plan.output.relativePath)
            } catch {
                var diagnostics = error.diagnostics
                if !written.isEmpty {
                    diagnostics.append(Diagnostic(.note, "already written: \(written.joined(separator: ", "))"))
                }
                throw StyxyError(.cannotWriteOutput, diagnostics)
            }
        }
        // An unchanged file that is Styxy's by its bytes is recorded too, so it stays recognisable
        // once the ports in it change.
        for plan in plans where plan.status == .unchanged && plan.output.kind == .file {
            records?.record(Digest.of(plan.new), of: plan.entry.path)
        }
        return results
    }
}

/// One output's target, old bytes and new bytes.
private struct Plan {
    let output: PlannedOutput
    let entry: ConfinedFolder.Entry
    let old: [UInt8]?
    let new: [UInt8]
    /// A file that is not Styxy's, to be copied aside before it is replaced.
    let adopting: Bool

    init(_ output: PlannedOutput, folder: ConfinedFolder, records: OutputRecords?, adopt: Bool) throws(StyxyError) {
        self.output = output
        entry = try Self.locate(output.relativePath, in: folder)
        do {
            old = try folder.read(entry, limit: OutputWriter.readLimit)
        } catch {
            throw StyxyError(.cannotWriteOutput, "cannot read \(entry.path): \(error.reason)", file: output.relativePath)
        }
        switch output.kind {
        case .file:
            new = Array(output.content.utf8)
        case .dotenvBlock:
            do {
                new = try DotenvBlock.merge(body: output.content, into: old)
            } catch {
                throw Self.refusal(error, file: output.relativePath)
            }
        }
        var foreign = false
        if let old, old != new, output.kind == .file, !OutputOwnership.isStyxys(old, at: entry, records: records) {
            guard adopt else {
                let backup = OutputOwnership.backupName(for: entry.name, serial: 1)
                throw StyxyError(
                    .cannotWriteOutput, "\(entry.path) exists and was not written by Styxy; it was left untouched",
                    file: output.relativePath,
                    hint: "move it away, or run `styxy resolve --adopt` to take it over (it is copied to \(backup) first)")
            }
            foreign = true
        }
        adopting = foreign
    }

    static func locate(_ relative: String, in folder: ConfinedFolder, create: Bool = false) throws(StyxyError) -> ConfinedFolder.Entry {
        do {
            return try folder.locate(relative, createFolders: create)
        } catch {
            let hint = error.refusal == nil ? nil
                : "outputs are regular files inside the project, never inside .git, the state folder, the manifest or a template"
            throw StyxyError(.cannotWriteOutput, error.refusal.map { _ in error.reason } ?? "\(error)", file: relative, hint: hint)
        }
    }

    var status: OutputResult.Status {
        guard let old else { return .created }
        return old == new ? .unchanged : .updated
    }

    func result(withDiff: Bool) -> OutputResult {
        var diff: String? = nil
        if withDiff, status != .unchanged {
            diff = LineDiff.unified(
                old: String(decoding: old ?? [], as: UTF8.self), new: String(decoding: new, as: UTF8.self),
                oldName: old == nil ? "/dev/null" : "a/\(output.relativePath)", newName: "b/\(output.relativePath)")
        }
        return OutputResult(relativePath: output.relativePath, path: entry.path, status: status, diff: diff)
    }

    /// Checked for every changed output before any is written, so one unwritable folder stops the
    /// whole set instead of leaving half of it new.
    var writabilityProblem: Diagnostic? {
        guard !entry.folderIsWritable else { return nil }
        var diagnostic = Diagnostic(
            .error, "cannot write into the folder of \(entry.path): \(FileIO.errorText())",
            hint: "make the folder writable, or change this output's path in the manifest")
        diagnostic.file = output.relativePath
        return diagnostic
    }

    func write(folder: ConfinedFolder, records: OutputRecords?) throws(StyxyError) {
        // Walked again, making missing folders: whatever changed since planning is checked anew.
        let target = try Self.locate(output.relativePath, in: folder, create: true)
        do {
            let current = try folder.read(target, limit: OutputWriter.readLimit)
            guard current == old else {
                throw StyxyError(.cannotWriteOutput, "\(target.path) changed while Styxy was writing; it was left untouched",
                                 file: output.relativePath, hint: "run the command again")
            }
            if adopting, let old { try backUp(old, beside: target, in: folder) }
            try folder.replace(target, with: new, mode: target.info.map { $0.st_mode & 0o777 } ?? 0o644)
        } catch let error as StyxyError {
            throw error
        } catch {
            throw StyxyError(.cannotWriteOutput, "cannot write: \(error)", file: output.relativePath)
        }
        if output.kind == .file { records?.record(Digest.of(new), of: target.path) }
    }

    /// Copies a file Styxy is about to take over to the first free backup name beside it (0600:
    /// the user's file may hold secrets).
    private func backUp(_ bytes: [UInt8], beside target: ConfinedFolder.Entry, in folder: ConfinedFolder) throws {
        let folderPart = target.components.dropLast().joined(separator: "/")
        for serial in 1...1000 {
            let name = OutputOwnership.backupName(for: target.name, serial: serial)
            let backup = try folder.locate(folderPart.isEmpty ? name : "\(folderPart)/\(name)")
            if backup.exists { continue }
            if try folder.create(backup, with: bytes, mode: 0o600) { return }
        }
        throw StyxyError(.cannotWriteOutput, "no free backup name beside \(target.path)", file: output.relativePath)
    }

    private static func refusal(_ problem: DotenvBlock.MergeProblem, file: String) -> StyxyError {
        switch problem {
        case .unterminated(let line):
            return StyxyError(
                .cannotWriteOutput, "Styxy's block starts here but has no end marker '\(DotenvBlock.endMarker)'",
                at: SourceLocation(file: file, line: line, column: 1),
                hint: "add the end marker where the block ends, or delete this line; Styxy will not guess where its block ends")
        case .severalBlocks(let lines):
            return StyxyError(
                .cannotWriteOutput,
                "holds \(lines.count) Styxy blocks (begin markers on lines \(lines.map(String.init).joined(separator: ", ")))",
                at: SourceLocation(file: file, line: lines[1], column: 1),
                hint: "delete all but one block; Styxy rewrites the one that is left")
        }
    }
}
