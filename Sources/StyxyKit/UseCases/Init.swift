import StyxyCore
import StyxyManifest

/// `init`: a proposed styxy.yaml from the project's own files.
package struct InitOutcome: Sendable {
    package var proposal: ManifestScaffold.Proposal
    /// Where the manifest goes, as the user would write it (`styxy.yaml`, `app/styxy.yaml`).
    package var manifestPath: String
    /// True when it was written.
    package var written: Bool
    /// True when a manifest already exists there (only when nothing was written).
    package var manifestExists: Bool
    /// Outputs git would not ignore; nil when git cannot tell (not a repository, no git).
    package var unignoredOutputs: [String]?
}

extension StyxyApp {
    /// Proposes a manifest for the folder `directory` (relative to the working folder) and, unless
    /// `write` is false, writes it. An existing styxy.yaml is never replaced, and is refused before
    /// anything is read, so that message is the first the user sees.
    package func proposeManifest(in directory: String, write: Bool) throws(StyxyError) -> InitOutcome {
        let folder = environment.absolute(directory)
        let manifestPath = ManifestScaffold.manifestPath(in: directory)
        if write, ManifestScaffold.existingManifest(in: folder) != nil {
            throw ManifestScaffold.alreadyExists(manifestPath)
        }
        let proposal: ManifestScaffold.Proposal
        do {
            proposal = try ManifestScaffold.propose(projectDirectory: folder, catalog: environment.catalog())
        } catch {
            // Messages name the folder as the user wrote it.
            throw error.naming(folder, as: directory)
        }
        guard write else {
            return InitOutcome(proposal: proposal, manifestPath: manifestPath, written: false,
                               manifestExists: ManifestScaffold.existingManifest(in: folder) != nil, unignoredOutputs: nil)
        }
        do {
            _ = try ManifestScaffold.write(proposal, projectDirectory: folder)
        } catch {
            throw error.naming(folder, as: directory)
        }
        return InitOutcome(proposal: proposal, manifestPath: manifestPath, written: true, manifestExists: true,
                           unignoredOutputs: GitIgnoreCheck.unignored(proposal.outputs, in: folder))
    }
}

extension StyxyError {
    /// The same error with paths under `absolute` shown as under `written`, the way the user typed them.
    func naming(_ absolute: String, as written: String) -> StyxyError {
        guard absolute != written else { return self }
        func rename(_ path: String) -> String {
            if path == absolute { return written }
            guard path.hasPrefix(absolute + "/") else { return path }
            let rest = String(path.dropFirst(absolute.count + 1))
            return written == "." ? rest : FileIO.join(written, rest)
        }
        var copy = self
        copy.diagnostics = diagnostics.map { diagnostic in
            var diagnostic = diagnostic
            diagnostic.file = diagnostic.file.map(rename)
            if let file = diagnostic.location?.file { diagnostic.location?.file = rename(file) }
            return diagnostic
        }
        return copy
    }
}
