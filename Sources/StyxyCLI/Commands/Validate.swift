import ArgumentParser
import StyxyKit
import StyxyManifest

extension Styxy {
    struct Validate: StyxyCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Check a manifest and print every problem; writes nothing.",
            discussion: "Exits 0 when the manifest is valid and 65 when it is not."
        )

        @OptionGroup var manifestOptions: ManifestOptions

        func run(in context: CommandContext) throws {
            let (path, manifest) = try context.app.validate(manifest: manifestOptions.manifest)
            context.err.report(manifest.warnings)
            let ports = manifest.services.reduce(0) { $0 + $1.ports.count }
            context.out.line(
                "\(path): valid: project '\(manifest.project)', \(manifest.services.count) service(s), \(ports) port(s), \(manifest.outputs.count) output(s)"
            )
        }
    }
}
