import ArgumentParser
import StyxyCore
import StyxyManifest
import StyxyRender

extension Styxy {
    struct Schema: StyxyCommand {
        static let configuration = CommandConfiguration(
            commandName: "schema",
            abstract: "Print the JSON Schema of styxy.yaml, for editors' completion and checks.",
            discussion: """
                JSON Schema draft 2020-12, the file schemas/styxy.schema.json of this release: every key \
                with its description, the built-in catalog's types and the built-in templates. It checks \
                the shape of a manifest; `styxy validate` also checks files, cross-references and your \
                configuration. `styxy init` writes a modeline that points yaml-language-server at it; \
                docs/schema.md shows how to wire VS Code, JetBrains and Neovim.
                """
        )

        func run(in context: CommandContext) throws {
            context.out.write(Self.text)
        }

        /// From the built-in catalog alone, so the output is the same on every machine and equals
        /// the committed file; types a user configuration adds are accepted by name.
        static var text: String {
            ManifestSchema.document(catalog: .builtin(), builtinTemplates: TemplateStore.builtinNames).serialized()
        }
    }
}
