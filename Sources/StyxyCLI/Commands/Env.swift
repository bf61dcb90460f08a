import ArgumentParser
import StyxyCore
import StyxyEngine

extension Styxy {
    struct Env: ParsableCommand {
        enum Format: String, ExpressibleByArgument, CaseIterable {
            case dotenv, shell, json
        }

        static let configuration = CommandConfiguration(
            abstract: "Lease like `resolve`, then print the ports as variables instead of writing files.",
            discussion: """
                The shell format is safe to eval in sh, bash and zsh: eval "$(styxy env --format shell)". \
                Besides each service's variables it prints STYXY_PROJECT, STYXY_PROJECT_ROOT and \
                STYXY_INSTANCE, which let Styxy recognise processes started from that shell as this project's.
                """
        )

        @OptionGroup var manifestOptions: ManifestOptions
        @OptionGroup var instanceOptions: InstanceOptions
        @OptionGroup var ttlOptions: TTLOptions
        @Option(help: "dotenv, shell or json.") var format: Format = .dotenv

        func run() throws {
            let context = try EngineContext()
            let manifest = try context.loadManifest(manifestOptions.manifest)
            let options = ResolveOptions(instance: instanceOptions.instance, ttl: try ttlOptions.seconds)
            let report = try ResolveFlow(context: context).run(manifest, options: options, mode: .lease)
            let variables = ResolvedPorts(report: report).variables
            let out = Terminal.standardOutput
            switch format {
            case .json:
                out.write(JSONValue.object(variables.map { ($0.name, .string($0.value)) }).serialized())
            case .shell:
                for (name, value) in variables { out.line("export \(name)=\(Quoting.shell(value))") }
            case .dotenv:
                for (name, value) in variables { out.line("\(name)=\(Quoting.dotenv(value))") }
            }
        }
    }
}

/// Quoting for the formats variables land in.
enum Quoting {
    /// POSIX single quotes, safe to eval in sh, bash and zsh; bare when only safe characters.
    static func shell(_ value: String) -> String {
        let safe = !value.isEmpty && value.utf8.allSatisfy { byte in
            (0x61...0x7a).contains(byte) || (0x41...0x5a).contains(byte) || (0x30...0x39).contains(byte) || "/._-:+@%,".utf8.contains(byte)
        }
        if safe { return value }
        return "'" + value.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }

    /// Single-quoted dotenv values are taken literally by python-dotenv and Compose; a value holding a
    /// single quote or a newline is double-quoted with escapes instead.
    static func dotenv(_ value: String) -> String {
        if value.utf8.allSatisfy({ (0x61...0x7a).contains($0) || (0x41...0x5a).contains($0) || (0x30...0x39).contains($0) || "/._-:+@,".utf8.contains($0) }) && !value.isEmpty {
            return value
        }
        if !value.contains("'") && !value.contains("\n") { return "'\(value)'" }
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            case "$": escaped += "\\$"
            default: escaped.append(character)
            }
        }
        return "\"\(escaped)\""
    }
}
