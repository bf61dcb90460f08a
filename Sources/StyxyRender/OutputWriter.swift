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
public struct OutputWriter: Sendable {
    public let root: String

    /// `root` is the project root; it is canonicalised again here, since every safety check
    /// compares real paths against it.
    public init(root: String) {
        self.root = root
    }

    public func apply(_ outputs: [PlannedOutput], mode: OutputMode) throws(StyxyError) -> [OutputResult] {
        guard let root = FileIO.realPath(root), FileIO.isDirectory(root) else {
            throw StyxyError(.cannotWriteOutput, "project root is not a folder", file: self.root)
        }
        var problems: [Diagnostic] = []
        var plans: [Plan] = []
        var claimed: [String: String] = [:]
        for output in outputs {
            do throws(StyxyError) {
                let plan = try Plan(output, root: root)
                if let other = claimed[plan.target.path] {
                    throw StyxyError(.cannotWriteOutput, "written by two outputs ('\(other)' too)", file: output.relativePath,
                                     hint: "give each output its own path")
                }
                claimed[plan.target.path] = output.relativePath
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
                try plan.write()
                written.append(plan.output.relativePath)
            } catch {
                var diagnostics = error.diagnostics
                if !written.isEmpty {
                    diagnostics.append(Diagnostic(.note, "already written: \(written.joined(separator: ", "))"))
                }
                throw StyxyError(.cannotWriteOutput, diagnostics)
            }
        }
        return results
    }
}

/// One output's target, old bytes and new bytes.
private struct Plan {
    let output: PlannedOutput
    let target: OutputTarget
    let old: [UInt8]?
    let new: [UInt8]

    init(_ output: PlannedOutput, root: String) throws(StyxyError) {
        self.output = output
        target = try OutputPath.resolve(output.relativePath, root: root)
        do {
            old = target.exists ? try FileIO.read(target.path) : nil
        } catch {
            throw StyxyError(.cannotWriteOutput, "cannot read: \(FileIO.errorText(error.code))", file: output.relativePath)
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
        return OutputResult(relativePath: output.relativePath, path: target.path, status: status, diff: diff)
    }

    /// Checked for every changed output before any is written, so one unwritable folder stops the
    /// whole set instead of leaving half of it new.
    var writabilityProblem: Diagnostic? {
        let folder = target.existingFolder
        guard access(folder, W_OK | X_OK) != 0 else { return nil }
        var diagnostic = Diagnostic(
            .error, "cannot write into \(folder): \(FileIO.errorText())",
            hint: "make the folder writable, or change this output's path in the manifest")
        diagnostic.file = output.relativePath
        return diagnostic
    }

    func write() throws(StyxyError) {
        for folder in target.missingFolders where mkdir(folder, 0o755) != 0 && !(errno == EEXIST && FileIO.isDirectory(folder)) {
            throw StyxyError(.cannotWriteOutput, "cannot create folder \(folder): \(FileIO.errorText())", file: output.relativePath)
        }
        do {
            try DurableFile.replace(target.path, with: new, mode: target.mode)
        } catch {
            throw StyxyError(.cannotWriteOutput, "cannot write: \(error)", file: output.relativePath)
        }
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
