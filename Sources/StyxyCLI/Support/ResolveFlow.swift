import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyRender

/// Lease, then render: the one sequence `resolve`, `run`, `env` and `matrix` share.
struct ResolveFlow {
    /// `write` leases and renders; `lease` only leases (env, matrix); `dryRun` and `check` write
    /// nothing and report what would change.
    enum Mode { case write, lease, dryRun, check }

    struct Outcome {
        var report: ResolveReport
        var outputs: [OutputResult]
    }

    let context: EngineContext

    func run(_ manifest: Manifest, options: ResolveOptions, mode: Mode, adopt: Bool = false) throws(StyxyError) -> Outcome {
        var options = options
        options.dryRun = mode == .dryRun || mode == .check
        guard mode != .lease else {
            let report = try context.resolver().resolve(manifest, options: options)
            if report.pendingMoves { try context.resolver().settleMoves(manifest, instance: options.instance) }
            return Outcome(report: report, outputs: [])
        }
        let sources = try OutputPlan.sources(
            for: manifest,
            allowedFolders: OutputPlan.templateFolders(for: manifest, catalog: context.catalog, environment: context.environment.variables))
        let cache = RenderCache(home: context.home, root: manifest.root, instance: options.instance)
        let cached = cache.load()
        let templatesDigest = RenderCache.templatesDigest(sources.map(\.text))
        // Templates are checked before the ledger is touched, unless these exact sources compiled
        // before (the cache records that).
        var compiled = cached?.templates == templatesDigest ? nil : try OutputPlan.compile(sources)
        if let compiled { try OutputPlan.checkLimits(compiled, manifest: manifest, instance: options.instance) }

        let resolver = context.resolver()
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
            let writerMode: OutputMode = mode == .write ? .write : (mode == .check ? .check : .dryRun)
            results = try writer(for: manifest, sources: sources, adopt: adopt).apply(planned, mode: writerMode)
            if mode == .write { cache.store(templates: templatesDigest, key: key, outputs: paths, root: manifest.root) }
        }
        // Second phase of any move: the outputs now name the new ports, so the old ones can go.
        if !options.dryRun && report.pendingMoves { try resolver.settleMoves(manifest, instance: options.instance) }
        return Outcome(report: report, outputs: results)
    }

    /// The writer with everything no output may touch: the manifest, the templates in use, the
    /// state home and its ledger (DESIGN §9).
    func writer(for manifest: Manifest, sources: [OutputPlan.Source], adopt: Bool) -> OutputWriter {
        let home = context.home
        var files = [(path: manifest.path, label: "the manifest")]
        for source in sources where !source.isBuiltin { files.append((source.displayName, "a template in use")) }
        for path in [home.ledgerPath, home.backupPath, home.lockPath] { files.append((path, "Styxy's ledger")) }
        return OutputWriter(root: manifest.root, protectedFiles: files, protectedFolders: [(home.path, "Styxy's state folder")],
                            records: OutputRecords(home: home.path), adopt: adopt)
    }
}
