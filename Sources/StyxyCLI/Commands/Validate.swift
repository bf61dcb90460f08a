import ArgumentParser
import StyxyCore
import StyxyManifest

extension Styxy {
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a manifest and print every problem; writes nothing.",
            discussion: "Exits 0 when the manifest is valid and 65 when it is not."
        )

        @OptionGroup var manifestOptions: ManifestOptions

        func run() throws {
            let path = manifestOptions.manifest
            let environment = CommandEnvironment()
            let catalog = try environment.catalog()
            let manifest = try ManifestLoader(catalog: catalog, builtinTemplates: CommandEnvironment.builtinTemplateNames).load(path: path)
            try OutputPlan.check(manifest, allowedFolders: OutputPlan.templateFolders(for: manifest, catalog: catalog,
                                                                                        environment: environment.variables))
            let ports = manifest.services.reduce(0) { $0 + $1.ports.count }
            Terminal.standardOutput.line(
                "\(path): valid: project '\(manifest.project)', \(manifest.services.count) service(s), \(ports) port(s), \(manifest.outputs.count) output(s)"
            )
        }
    }
}
