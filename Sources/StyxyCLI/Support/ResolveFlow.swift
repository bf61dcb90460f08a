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

    func run(_ manifest: Manifest, options: ResolveOptions, mode: Mode) throws(StyxyError) -> Outcome {
        // Templates and commands are checked before the ledger is touched.
        let templates = mode == .lease ? [] : try OutputPlan.templates(for: manifest)
        let resolver = context.resolver()
        var options = options
        options.dryRun = mode == .dryRun || mode == .check
        let report = try resolver.resolve(manifest, options: options)
        var results: [OutputResult] = []
        if mode != .lease {
            let planned = OutputPlan.render(templates, context: try OutputPlan.context(for: manifest, report: report))
            let writerMode: OutputMode = mode == .write ? .write : (mode == .check ? .check : .dryRun)
            results = try OutputWriter(root: manifest.root).apply(planned, mode: writerMode)
        }
        // Second phase of any move: the outputs now name the new ports, so the old ones can go.
        if !options.dryRun { try resolver.settleMoves(manifest, instance: options.instance) }
        return Outcome(report: report, outputs: results)
    }
}
