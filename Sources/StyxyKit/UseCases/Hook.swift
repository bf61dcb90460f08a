import StyxyCore
import StyxyEngine

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `hook install`, `hook uninstall` and `hook status`: the git `post-checkout` hook that gives
/// every new worktree its ports (DESIGN §10). Git says where the repository keeps its hooks;
/// every write is confined to the repository (DESIGN §9's one sanctioned write under `.git`)
/// and touches only the two files this code manages, `post-checkout` and its chained original.
extension StyxyApp {
    package struct HookStatus: Sendable {
        /// The folder holding the hook file Styxy manages.
        package var folder: String
        /// The hook file, absolute.
        package var path: String
        /// Where it comes from: `core.hooksPath` as configured, nil for git's default.
        package var hooksPath: String?
        package var runner: HookScript.Runner
        package var installed: Bool
        /// The hook that was there before, run first by Styxy's; its absolute path.
        package var chained: String?
        /// A hook is there that is not Styxy's (so `install` would chain it).
        package var foreignHook: Bool
        /// Leases whose project folder is gone: worktrees removed since they were resolved.
        package var goneLeases: [Lease]
        /// Why the ledger could not be read for `goneLeases`, when it could not.
        package var ledgerProblem: String?
    }

    package enum HookChange: String, Sendable {
        case installed, updated, unchanged, uninstalled
        case notInstalled = "not installed"
    }

    package func hookStatus() throws(StyxyError) -> HookStatus {
        let place = try HookPlace.find(environment)
        let folder = try place.open()
        let hook = try place.entry(folder, HookScript.hookName)
        let chained = try place.entry(folder, HookScript.chainedName)
        let installed = try place.isStyxys(hook, in: folder)
        var status = HookStatus(folder: place.folder, path: hook.path, hooksPath: place.configured, runner: place.runner,
                                installed: installed, chained: chained.exists ? chained.path : nil,
                                foreignHook: hook.exists && !installed, goneLeases: [])
        do {
            status.goneLeases = try prune(dryRun: true).filter { $0.reason == .rootGone }.map(\.lease)
        } catch {
            status.ledgerProblem = error.diagnostics.first?.message ?? "the ledger cannot be read"
        }
        return status
    }

    package func installHook() throws(StyxyError) -> (HookChange, HookStatus) {
        let place = try HookPlace.find(environment)
        let folder = try place.open()
        let hook = try place.entry(folder, HookScript.hookName, create: true)
        let script = Array(HookScript.text(runner: place.runner).utf8)
        let change: HookChange
        if try place.isStyxys(hook, in: folder) {
            let current = try place.read(hook, in: folder)
            change = current == script ? .unchanged : .updated
        } else {
            if hook.exists {
                // Keep the hook aside, bytes and mode, before Styxy's takes its name: a crash in
                // between leaves two copies of it, never none.
                let original = try place.read(hook, in: folder)
                let chained = try place.entry(folder, HookScript.chainedName)
                if chained.exists, try place.read(chained, in: folder) != original {
                    throw StyxyError(.cannotWriteOutput, "\(chained.path) already exists and differs from \(hook.path)",
                                     hint: "move one of them away, then run `styxy hook install` again")
                }
                try place.write(original, to: chained, mode: (hook.info?.st_mode ?? 0o755) & 0o7777, in: folder)
            }
            change = .installed
        }
        if change != .unchanged { try place.write(script, to: hook, mode: 0o755, in: folder) }
        return (change, try hookStatus())
    }

    package func uninstallHook() throws(StyxyError) -> (HookChange, HookStatus) {
        let place = try HookPlace.find(environment)
        let folder = try place.open()
        let hook = try place.entry(folder, HookScript.hookName)
        guard try place.isStyxys(hook, in: folder) else { return (.notInstalled, try hookStatus()) }
        let chained = try place.entry(folder, HookScript.chainedName)
        if chained.exists {
            // The original's bytes and mode go back under its name first; its copy goes after.
            try place.write(try place.read(chained, in: folder), to: hook, mode: (chained.info?.st_mode ?? 0o755) & 0o7777, in: folder)
            try place.remove(chained, in: folder)
        } else {
            try place.remove(hook, in: folder)
        }
        return (.uninstalled, try hookStatus())
    }
}

/// Where one repository's `post-checkout` hook lives, as git reports it, checked to be inside
/// the repository, with the folder every access is confined to.
struct HookPlace {
    /// The canonical folder of the hook file.
    var folder: String
    /// The folder writes are confined to (the common git folder or a work tree), holding `folder`.
    var confinement: String
    /// `core.hooksPath` as configured; nil when git uses its default.
    var configured: String?
    var runner: HookScript.Runner

    static let readLimit = 1 << 20

    static func find(_ environment: StyxyEnvironment) throws(StyxyError) -> HookPlace {
        let here = environment.workingDirectory
        let asked = ["rev-parse", "--path-format=absolute", "--show-toplevel", "--git-common-dir", "--git-path", "hooks"]
        guard let (status, output) = GitCommand.run(asked, in: here, environment: environment.variables) else {
            throw StyxyError(.usage, "git could not be started", hint: "hooks need git on PATH")
        }
        let lines = output.split(separator: "\n").map(String.init)
        guard status == 0, lines.count == 3 else {
            throw StyxyError(.usage, "\(here) is not inside a git work tree", hint: "run `styxy hook` in a clone or worktree of the repository")
        }
        let (top, common, hooks) = (lines[0], lines[1], lines[2])
        var configured: String? = nil
        if let (found, value) = GitCommand.run(["config", "--get", "core.hooksPath"], in: here, environment: environment.variables), found == 0 {
            configured = value.split(separator: "\n").first.map(String.init)
        }
        // The repository: its common git folder, this work tree, and the main work tree beside it.
        var roots = [common, top].compactMap(FileIO.realPath)
        if FileIO.basename(common) == ".git", let main = FileIO.realPath(FileIO.directory(of: common)) { roots.append(main) }
        guard let canonical = canonicalFolder(hooks),
              let confinement = roots.first(where: { ConfinedFolder.relative(canonical, below: $0) != nil }) else {
            throw StyxyError(.cannotWriteOutput, "refused: the hooks folder \(hooks) is outside the repository (core.hooksPath = \(configured ?? "unset"))",
                             hint: "Styxy writes hooks only inside the repository; set core.hooksPath to a folder in it, or unset it")
        }
        var place = HookPlace(folder: canonical, confinement: confinement, configured: configured, runner: .git)
        // Husky 9 points core.hooksPath at `.husky/_`, a generated folder whose runner hands each
        // hook to `sh -e .husky/NAME`: the user's hooks, and so Styxy's, live one level up.
        if FileIO.basename(canonical) == "_", FileIO.exists(FileIO.join(canonical, "h")) {
            let parent = FileIO.directory(of: canonical)
            if ConfinedFolder.relative(parent, below: confinement) != nil {
                place.folder = parent
                place.runner = .husky
            }
        }
        return place
    }

    /// `path` made canonical; a missing last folder (a hooks folder not made yet) is allowed.
    private static func canonicalFolder(_ path: String) -> String? {
        if let real = FileIO.realPath(path) { return real }
        return FileIO.realPath(FileIO.directory(of: path)).map { FileIO.join($0, FileIO.basename(path)) }
    }

    func open() throws(StyxyError) -> ConfinedFolder {
        do { return try ConfinedFolder(path: confinement) } catch { throw Self.failure(error) }
    }

    /// The entry for a file of the hook folder, walked from the confinement folder.
    func entry(_ folder: ConfinedFolder, _ name: String, create: Bool = false) throws(StyxyError) -> ConfinedFolder.Entry {
        let below = ConfinedFolder.relative(self.folder, below: confinement) ?? "."
        do { return try folder.locate(below == "." ? name : below + "/" + name, createFolders: create) } catch { throw Self.failure(error) }
    }

    func isStyxys(_ entry: ConfinedFolder.Entry, in folder: ConfinedFolder) throws(StyxyError) -> Bool {
        guard entry.exists else { return false }
        let marker = Array(HookScript.marker.utf8)
        let bytes = try read(entry, in: folder)
        // The marker is the second line; looking further would take a hook that merely quotes it.
        guard let newline = bytes.firstIndex(of: 0x0a) else { return false }
        return bytes[(newline + 1)...].starts(with: marker)
    }

    func read(_ entry: ConfinedFolder.Entry, in folder: ConfinedFolder) throws(StyxyError) -> [UInt8] {
        do { return try folder.read(entry, limit: Self.readLimit) ?? [] } catch { throw Self.failure(error) }
    }

    func write(_ bytes: [UInt8], to entry: ConfinedFolder.Entry, mode: mode_t, in folder: ConfinedFolder) throws(StyxyError) {
        do { try folder.replace(entry, with: bytes, mode: mode) } catch { throw Self.failure(error) }
    }

    func remove(_ entry: ConfinedFolder.Entry, in folder: ConfinedFolder) throws(StyxyError) {
        do { try folder.remove(entry) } catch { throw Self.failure(error) }
    }

    private static func failure(_ error: FileIOError) -> StyxyError {
        StyxyError(.cannotWriteOutput, error.description, hint: "the hook files were left as they were")
    }
}
