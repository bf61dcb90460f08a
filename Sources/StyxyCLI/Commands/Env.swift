import ArgumentParser
import StyxyCore
import StyxyEngine
import StyxyKit
import StyxyRender

extension Styxy {
    struct Env: StyxyCommand {
        enum Format: String, ExpressibleByArgument, CaseIterable {
            case dotenv, shell, json, github
        }

        static let configuration = CommandConfiguration(
            commandName: "env",
            abstract: "Lease like `resolve`, then print the ports as variables instead of writing files.",
            discussion: """
                The shell format is safe to eval in sh, bash and zsh: eval "$(styxy env --format shell)". \
                Besides each service's variables it prints STYXY_PROJECT, STYXY_PROJECT_ROOT and \
                STYXY_INSTANCE, which let Styxy recognise processes started from that shell as this project's. \
                The github format is what a GitHub Actions step appends to $GITHUB_ENV: \
                styxy env --format github >> "$GITHUB_ENV".
                """
        )

        @OptionGroup var manifestOptions: ManifestOptions
        @OptionGroup var instanceOptions: InstanceOptions
        @OptionGroup var ttlOptions: TTLOptions
        @Option(name: .customLong(Spelling.format), help: "dotenv, shell, json or github ($GITHUB_ENV).") var format: Format = .dotenv

        func run(in context: CommandContext) throws {
            try Self.execute(CommonSettings(manifest: manifestOptions.manifest, instance: instanceOptions.instance, ttl: ttlOptions.ttl),
                             format: format, in: context)
        }

        /// `env` without ArgumentParser, for the hot path; nil sends the words to the full parser.
        static func quick(_ words: [String]) -> ((CommandContext) throws -> Void)? {
            guard let quick = QuickArguments.parse(words, options: QuickArguments.commonOptions.merging(["--" + Spelling.format: Spelling.format]) { a, _ in a },
                                                   flags: []) else { return nil }
            let common = CommonSettings(quick)
            guard common.problem == nil, let format = Format(rawValue: quick.value(Spelling.format) ?? Format.dotenv.rawValue) else { return nil }
            return { try execute(common, format: format, in: $0) }
        }

        /// Ports print bare (`WEB_PORT=3000`, as people write them); anything else is quoted.
        static func dotenvValue(_ value: String) -> String {
            let plain = !value.isEmpty && value.utf8.allSatisfy { byte in
                ASCII.isAlphanumeric(byte) || "_./:@+-".utf8.contains(byte)
            }
            return plain ? value : Quoting.dotenv(value)
        }

        /// `$GITHUB_ENV` takes `NAME=value` literally, quotes included, so values are not quoted;
        /// a value with a line break uses its `NAME<<DELIMITER` form, with a delimiter the value
        /// does not contain.
        static func githubEnvironmentLine(_ name: String, _ value: String) -> String {
            guard value.contains(where: \.isNewline) else { return "\(name)=\(value)\n" }
            var delimiter = "STYXY_EOF"
            while value.contains(delimiter) { delimiter += "_" + String(UInt32.random(in: 0...UInt32.max), radix: 16) }
            return "\(name)<<\(delimiter)\n\(value)\n\(delimiter)\n"
        }

        static func execute(_ common: CommonSettings, format: Format, in context: CommandContext) throws {
            let variables = try context.app.variables(common.request)
            let out = context.out
            switch format {
            case .json:
                out.write(JSONValue.object(variables.map { ($0.name, .string($0.value)) }).serialized())
            case .shell:
                for (name, value) in variables { out.line("export \(name)=\(Quoting.shell(value))") }
            case .dotenv:
                for (name, value) in variables { out.line("\(name)=\(Self.dotenvValue(value))") }
            case .github:
                for (name, value) in variables { out.write(Self.githubEnvironmentLine(name, value)) }
            }
        }
    }
}

