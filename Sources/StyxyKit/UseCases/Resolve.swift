import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyRender

/// `resolve`: lease every service a port and write the outputs.
package struct ResolveOutcome: Sendable {
    package var manifest: Manifest
    package var report: ResolveReport
    package var outputs: [OutputResult]
    package var mode: ResolveMode

    /// Outputs `--check` finds out of date.
    package var staleOutputs: [OutputResult] { outputs.filter(\.isStale) }
}

extension StyxyApp {
    package func resolve(_ request: LeaseRequest, mode: ResolveMode = .write, reassign: Bool = false,
                         adopt: Bool = false) throws(StyxyError) -> ResolveOutcome {
        let workspace = try workspace()
        let manifest = try workspace.loadManifest(locateManifest(request.manifest))
        let options = ResolveOptions(instance: request.instance, ttl: request.ttl, reassign: reassign)
        let outcome = try ResolvePipeline(workspace).run(manifest, options: options, mode: mode, adopt: adopt)
        return ResolveOutcome(manifest: manifest, report: outcome.report, outputs: outcome.outputs, mode: mode)
    }

    /// `env`: lease like `resolve`, write nothing, and return the variables a process gets.
    package func variables(_ request: LeaseRequest) throws(StyxyError) -> [(name: String, value: String)] {
        ResolvedPorts(report: try resolve(request, mode: .leaseOnly).report).variables
    }

    /// `matrix`: `count` instances named `PREFIX-1` ... `PREFIX-N`, leased in turn in one
    /// transaction; each row holds its port variables (no identity variables).
    package func matrix(manifest: String?, count: Int, prefix: String, ttl: ResolveOptions.TTL) throws(StyxyError)
        -> [(instance: String, variables: [(name: String, value: String)])] {
        let workspace = try workspace()
        let manifest = try workspace.loadManifest(locateManifest(manifest))
        let instances = (1...max(1, count)).map { ResolveOptions(instance: "\(prefix)-\($0)", ttl: ttl) }
        return try ResolvePipeline(workspace).lease(manifest, instances: instances).map { report in
            (report.instance, ResolvedPorts(report: report).variables.filter { !ResolvedPorts.identityNames.contains($0.name) })
        }
    }

    /// `validate`: the manifest, checked with every template rendered on stand-in ports (each
    /// port's preference, else the first port of its range); nothing is leased or written.
    package func validate(manifest given: String?) throws(StyxyError) -> (path: String, manifest: Manifest) {
        let path = locateManifest(given)
        let catalog = try environment.catalog()
        let manifest = try StyxyEnvironment.manifestLoader(catalog: catalog)
            .load(path: path, relativeTo: environment.workingDirectory)
        _ = try OutputPlan.renderStandIns(
            manifest, allowedFolders: OutputPlan.templateFolders(for: manifest, catalog: catalog, environment: environment.variables),
            workingDirectory: environment.workingDirectory) { service, named in named.preferred ?? service.range.lowerBound }
        return (path, manifest)
    }
}
