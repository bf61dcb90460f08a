import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyRender

/// What a resolve may change.
package enum ResolveMode: Sendable, Equatable {
    /// Lease and write the outputs (`resolve`, `run`).
    case write
    /// Lease only; write no output (`env`, `matrix`).
    case leaseOnly
    /// Change nothing; report what would change, with diffs (`resolve --dry-run`).
    case dryRun
    /// Change nothing; report which outputs are stale (`resolve --check`).
    case check

    /// True when neither the ledger nor any output may change.
    package var changesNothing: Bool { self == .dryRun || self == .check }

    /// What the output writer is asked to do, for the modes that render.
    var writerMode: OutputMode {
        switch self {
        case .write, .leaseOnly: return .write
        case .dryRun: return .dryRun
        case .check: return .check
        }
    }
}

/// Lease, then render: the one sequence `resolve`, `run`, `env`, `matrix` and `up` share.
package struct ResolvePipeline {
    package struct Outcome: Sendable {
        package var report: ResolveReport
        package var outputs: [OutputResult]
    }

    let workspace: Workspace

    package init(_ workspace: Workspace) {
        self.workspace = workspace
    }

    package func run(_ manifest: Manifest, options: ResolveOptions, mode: ResolveMode, adopt: Bool = false) throws(StyxyError) -> Outcome {
        var options = options
        options.dryRun = mode.changesNothing
        let resolver = workspace.resolver()
        guard mode != .leaseOnly else {
            let report = try resolver.resolve(manifest, options: options)
            if report.pendingMoves { try resolver.settleMoves(manifest, instance: options.instance) }
            return Outcome(report: report, outputs: [])
        }
        let sources = try OutputPlan.sources(for: manifest, allowedFolders: templateFolders(for: manifest),
                                             workingDirectory: workspace.environment.workingDirectory)
        let cache = RenderCache(home: workspace.home, root: manifest.root, instance: options.instance)
        let cached = cache.load()
        let templatesDigest = RenderCache.templatesDigest(sources.map(\.text))
        // Templates are checked before the ledger is touched, unless these exact sources compiled
        // before (the cache records that).
        var compiled = cached?.templates == templatesDigest ? nil : try OutputPlan.compile(sources)
        if let compiled { try OutputPlan.checkLimits(compiled, manifest: manifest, instance: options.instance) }

        let report = try resolver.resolve(manifest, options: options)
        let renderContext = OutputPlan.context(for: manifest, report: report)
        let paths = sources.map { OutputPlan.path(of: $0.output, instance: options.instance) }
        let key = RenderCache.key(templates: templatesDigest, context: renderContext, paths: paths)
        let results: [OutputResult]
        if mode != .dryRun, let cached, cached.key == key, RenderCache.outputsMatch(cached, root: manifest.root) {
            results = paths.map { OutputResult(relativePath: $0, path: FileIO.join(manifest.root, $0), status: .unchanged) }
        } else {
            if compiled == nil { compiled = try OutputPlan.compile(sources) }
            let planned = try OutputPlan.render(compiled ?? [], context: try OutputPlan.expandingCommands(renderContext, of: manifest))
            results = try writer(for: manifest, sources: sources, adopt: adopt).apply(planned, mode: mode.writerMode)
            if mode == .write { cache.store(templates: templatesDigest, key: key, outputs: paths, root: manifest.root) }
        }
        // Second phase of any move: the outputs now name the new ports, so the old ones can go.
        if !mode.changesNothing && report.pendingMoves { try resolver.settleMoves(manifest, instance: options.instance) }
        return Outcome(report: report, outputs: results)
    }

    /// Leases several instances at once and renders nothing (`matrix`): one transaction for all
    /// of them, see `Resolver.resolve(_:instances:)`.
    package func lease(_ manifest: Manifest, instances: [ResolveOptions]) throws(StyxyError) -> [ResolveReport] {
        try workspace.resolver().resolve(manifest, instances: instances)
    }

    /// Where a manifest may name template files: its project, the user's configuration folder,
    /// and the folders the configuration allows (DESIGN §9).
    package func templateFolders(for manifest: Manifest) -> [String] {
        OutputPlan.templateFolders(for: manifest, catalog: workspace.catalog, environment: workspace.environment.variables)
    }

    /// The writer with everything no output may touch: the manifest, the templates in use, the
    /// state home and its ledger (DESIGN §9).
    func writer(for manifest: Manifest, sources: [OutputPlan.Source], adopt: Bool) -> OutputWriter {
        let home = workspace.home
        var files = [(path: manifest.file, label: "the manifest")]
        for source in sources where !source.isBuiltin {
            files.append((workspace.environment.absolute(source.displayName), "a template in use"))
        }
        for path in [home.ledgerPath, home.backupPath, home.lockPath] { files.append((path, "Styxy's ledger")) }
        return OutputWriter(root: manifest.root, protectedFiles: files, protectedFolders: [(home.path, "Styxy's state folder")],
                            records: OutputRecords(home: home.path), adopt: adopt)
    }
}
