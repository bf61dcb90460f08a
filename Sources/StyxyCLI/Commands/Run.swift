import ArgumentParser
import StyxyCore
import StyxyEngine
import StyxyKit

extension Styxy {
    struct Run: StyxyCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Resolve, check that no one else holds the ports, then become CMD with the ports in its environment.",
            discussion: """
                styxy run [-m FILE] [--instance N] -- CMD [ARG ...]
                styxy run [-m FILE] [--instance N] SERVICE [-- EXTRA ...]

                `{{NAME}}` in an argument becomes the value of the variable NAME (a port variable such as \
                WEB_PORT, or STYXY_PROJECT, STYXY_PROJECT_ROOT, STYXY_INSTANCE): `styxy run -- vite --port \
                {{WEB_PORT}}`. No shell expands {{...}}, so this works inside npm scripts, where $WEB_PORT \
                would be expanded before Styxy runs. An unknown name is exit 64 with "did you mean"; any \
                other {{...}} text is left as written.

                With SERVICE, Styxy runs that service's `command:` from the manifest through /bin/sh -c, in \
                its `cwd:`, with EXTRA appended (each quoted; `{{port}}` is the service's port).

                Styxy resolves (writing outputs like `resolve`), refuses to start CMD (exit 1) when a process \
                other than this project's holds one of its ports, and otherwise replaces itself with CMD: no \
                shell in between, so signals, standard streams and the exit status are CMD's own. Exit 127 \
                when CMD is not found, 126 when it cannot be executed.

                CMD's environment is Styxy's, with the project's port variables and STYXY_PROJECT, \
                STYXY_PROJECT_ROOT and STYXY_INSTANCE set on top: Styxy's values win over variables of the \
                same name already in the environment, so a stale WEB_PORT in a shell never hides the lease.
                """
        )

        @OptionGroup var manifestOptions: ManifestOptions
        @OptionGroup var instanceOptions: InstanceOptions
        @OptionGroup var ttlOptions: TTLOptions
        @Argument(help: "A service whose `command:` to run (instead of a command after `--`).",
                  completion: Completions.serviceNames) var service: String?
        @Argument(parsing: .postTerminator, help: "The command to run, after `--` (with SERVICE: arguments to add).")
        var command: [String] = []

        func validate() throws {
            if service == nil && command.isEmpty {
                throw ValidationError("name a service, or the command to run after `--`, e.g. styxy run web, or styxy run -- npm run dev")
            }
        }

        func run(in context: CommandContext) throws {
            try Self.execute(CommonSettings(manifest: manifestOptions.manifest, instance: instanceOptions.instance, ttl: ttlOptions.ttl),
                             service: service, command: command, in: context)
        }

        /// `run` without ArgumentParser, for the hot path; nil sends the words to the full parser.
        static func quick(_ words: [String]) -> ((CommandContext) throws -> Void)? {
            guard let quick = QuickArguments.parse(words, options: QuickArguments.commonOptions, flags: [], allowTrailing: true,
                                                   positionals: 1) else { return nil }
            let service = quick.positionals.first
            let command = quick.trailing ?? []
            guard service != nil || !command.isEmpty else { return nil }
            let common = CommonSettings(quick)
            guard common.problem == nil else { return nil }
            return { try execute(common, service: service, command: command, in: $0) }
        }

        static func execute(_ common: CommonSettings, service: String?, command: [String], in context: CommandContext) throws {
            let plan = try service.map { try context.app.prepareRun(common.request, service: $0, extra: command) }
                ?? context.app.prepareRun(common.request, command: command)
            let err = context.err
            if !plan.blocked.isEmpty {
                for item in plan.blocked {
                    let who = item.occupant.map { "\($0.description) (\($0.holderClass.label))" } ?? "another process"
                    err.line("styxy: port \(item.port) of \(item.label) is held by \(who)")
                }
                err.line("styxy: not starting \(service ?? command[0]); stop the holder, or run `styxy resolve --reassign` to move the lease")
                throw ExitCode(ExitStatus.conflict.rawValue)
            }
            for item in plan.busyWithThisProject {
                let holder = item.occupant.map(\.description) ?? "process"
                err.line("styxy: note: port \(item.port) of \(item.label) is already in use by this project's \(holder)")
            }
            throw ExitCode(context.launch(plan, err))
        }
    }
}
