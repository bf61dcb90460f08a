import ArgumentParser
import StyxyCore
import StyxyKit
import StyxyManifest

extension Styxy {
    struct Up: StyxyCommand {
        static let configuration = CommandConfiguration(
            commandName: "up",
            abstract: "Start the services' commands on their leased ports and watch that they listen there.",
            discussion: """
                Resolves like `run`, refuses to start anything when another process holds a leased port, then \
                starts each named service's `command:` (default: every service with one) through /bin/sh -c in \
                its `cwd:`, each in its own process group, its output prefixed `NAME | `. A service with \
                `after:` starts once those services are ready. A service is ready when a process of its own \
                tree listens on each of its leased ports: `web ready on 3001 (pid N, 1.4 s)`.

                Any service exiting, a service listening on other ports than its leased ones (its command \
                ignores the port), a port taken by someone else, or a ready timeout stops every service \
                (SIGTERM to each, SIGKILL after 5 s) and ends `up` with status 1 (or the service's non-zero \
                status). Ctrl-C or SIGTERM stop everything the same way and exit 130 or 143. See docs/up.md.
                """
        )

        @OptionGroup var manifestOptions: ManifestOptions
        @OptionGroup var instanceOptions: InstanceOptions
        @OptionGroup var ttlOptions: TTLOptions
        @Option(help: "How long a service may take to listen on its ports, for services without `ready: { timeout }` (default 60s).")
        var readyTimeout: String?
        @Argument(help: "Services to start (default: every service with a command); their `after:` services start too.",
                  completion: Completions.serviceNames)
        var services: [String] = []

        func validate() throws {
            if let readyTimeout, WaitTimeout.seconds(readyTimeout) == nil { throw ValidationError(WaitTimeout.invalid("--ready-timeout", readyTimeout)) }
        }

        func run(in context: CommandContext) throws {
            let common = CommonSettings(manifest: manifestOptions.manifest, instance: instanceOptions.instance, ttl: ttlOptions.ttl)
            let outcome = try context.app.up(UpRequest(lease: common.request, services: services,
                                                       readyTimeout: readyTimeout.flatMap(WaitTimeout.seconds),
                                                       output: 1, colour: context.out.colour))
            throw ExitCode(outcome.status)
        }
    }
}

/// `--timeout` of `wait` and `--ready-timeout` of `up`: a duration up to an hour.
enum WaitTimeout {
    static func seconds(_ text: String) -> Double? {
        guard case .seconds(let value) = DurationText.read(text, maximum: StyxyApp.longestWait), value > 0 else { return nil }
        return value
    }

    static func invalid(_ option: String, _ text: String) -> String {
        "\(option) takes a duration above 0 and at most \(DurationText.describe(StyxyApp.longestWait)), such as 30s or 2m; found '\(text)'"
    }
}
