import ArgumentParser
import StyxyCore
import StyxyRender

extension Styxy {
    struct Template: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "template",
            abstract: "List and show the built-in templates, to start one of your own.",
            discussion: "The render context every template sees is described in docs/templates.md.",
            subcommands: [List.self, Show.self]
        )
    }
}

extension Styxy.Template {
    struct List: StyxyCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the built-in templates.")

        @OptionGroup var output: OutputOptions

        func run(in context: CommandContext) throws {
            let out = context.out
            if output.json {
                out.write(ReportJSON.document([
                    ("templates", .array(TemplateStore.builtinNames.map(JSONValue.string))),
                ]).serialized())
                return
            }
            for name in TemplateStore.builtinNames { out.line(name) }
            out.line("\nstart your own: styxy template show NAME > my.mustache, then `template: ./my.mustache` in styxy.yaml")
        }
    }

    struct Show: StyxyCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a built-in template's source.")

        @Argument(help: "A built-in template name (see `styxy template ls`).",
                  completion: .list(TemplateStore.builtinNames))
        var name: String

        func run(in context: CommandContext) throws {
            guard let source = TemplateStore.source(of: name) else {
                throw StyxyError(.usage, "no built-in template named '\(name)'",
                                 hint: "built-in templates: \(TemplateStore.builtinNames.joined(separator: ", "))")
            }
            context.out.write(source)
        }
    }
}
