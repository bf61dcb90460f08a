import ArgumentParser
import StyxyCore
import StyxyEngine

#if canImport(Glibc)
import Glibc
#endif

extension Styxy {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resolve, check that no one else holds the ports, then become CMD with the ports in its environment.",
            discussion: """
                styxy run [-m FILE] [--instance N] -- CMD [ARG ...]

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
        @Argument(parsing: .postTerminator, help: "The command to run, after `--`.") var command: [String] = []

        func validate() throws {
            if command.isEmpty { throw ValidationError("name the command to run after `--`, e.g. styxy run -- npm run dev") }
        }

        func run() throws {
            try Self.execute(CommonSettings(manifest: manifestOptions.manifest, instance: instanceOptions.instance, ttl: ttlOptions.ttl),
                             command: command)
        }

        /// `run` without ArgumentParser, for the hot path; nil sends the words to the full parser.
        static func quick(_ words: [String]) -> (() throws -> Void)? {
            guard let quick = QuickArguments.parse(words, options: QuickArguments.commonOptions, flags: [], allowTrailing: true),
                  let command = quick.trailing, !command.isEmpty else { return nil }
            let common = CommonSettings(quick)
            guard common.problem == nil else { return nil }
            return { try execute(common, command: command) }
        }

        static func execute(_ common: CommonSettings, command: [String]) throws {
            let context = try EngineContext()
            let manifest = try context.loadManifest(common.manifest)
            let options = ResolveOptions(instance: common.instance, ttl: common.ttlChoice)
            let report = try ResolveFlow(context: context).run(manifest, options: options, mode: .write).report
            let ports = ResolvedPorts(report: report)
            let blocked = ports.foreignHeld
            let err = Terminal.standardError
            if !blocked.isEmpty {
                for item in blocked {
                    let who = item.occupant.map { "\($0.description) (\($0.holderClass.label))" } ?? "another process"
                    err.line("styxy: port \(item.port) of \(item.label) is held by \(who)")
                }
                err.line("styxy: not starting \(command[0]); stop the holder, or run `styxy resolve --reassign` to move the lease")
                throw ExitCode(ExitStatus.conflict.rawValue)
            }
            // Allowed (a test run beside the dev server it talks to), but a second server on the
            // port would die with "Address already in use": say who is there first.
            for item in report.assignments where !item.shared {
                guard let occupant = item.occupant, occupant.holderClass == .thisProject else { continue }
                err.line("styxy: note: port \(item.port) of \(item.label) is already in use by this project's \(occupant.description)")
            }
            for (name, value) in ports.variables { setenv(name, value, 1) }
            exec(command)
        }

        /// Replaces this process with `arguments`; returns only by exiting 126 or 127.
        static func exec(_ arguments: [String]) -> Never {
            let cArguments = arguments.map { strdup($0) } + [nil]
            execvp(arguments[0], cArguments)
            let code = errno
            let status: Int32 = (code == ENOENT || code == ENOTDIR) ? 127 : 126
            let reason = status == 127 ? "command not found" : FileIO.errorText(code)
            Terminal.standardError.line("styxy: \(arguments[0]): \(reason)")
            Glibc.exit(status)
        }
    }
}
