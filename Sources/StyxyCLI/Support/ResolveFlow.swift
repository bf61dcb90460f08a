import StyxyCore
import StyxyEngine
import StyxyManifest

/// Lease, then render: the one sequence `resolve`, `run` and `matrix` share.
struct ResolveFlow {
    /// `write` leases and renders; `lease` only leases (env, matrix); `dryRun` and `check` write nothing.
    enum Mode { case write, lease, dryRun, check }

    let context: EngineContext

    func run(_ manifest: Manifest, options: ResolveOptions, mode: Mode) throws(StyxyError) -> ResolveReport {
        let resolver = context.resolver()
        var options = options
        options.dryRun = mode == .dryRun || mode == .check
        let report = try resolver.resolve(manifest, options: options)
        if !options.dryRun { try resolver.settleMoves(manifest, instance: options.instance) }
        return report
    }
}
