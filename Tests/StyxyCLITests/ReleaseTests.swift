import ArgumentParser
import Foundation
import StyxyCore
import StyxyManifest
import StyxyTestSupport
import Testing

@testable import StyxyCLI

/// What a release carries beside the commands: the version, the JSON Schema of styxy.yaml, the
/// JSON envelope, and the command tree that man pages and completion scripts are made from.
@Suite("Release: version, schema, envelope")
struct ReleaseTests {
    @Test("`styxy schema` prints schemas/styxy.schema.json byte for byte")
    func schemaFileIsTheCommandsOutput() throws {
        let s = try Sandbox()
        let printed = try s.run(["schema"])
        #expect(printed.status == 0, "\(printed)")
        let file = try #require(try FileIO.readString(Repository.path("schemas/styxy.schema.json")))
        #expect(printed.stdout == file, """
            schemas/styxy.schema.json is not what `styxy schema` prints; regenerate it with
            `swift run styxy schema > schemas/styxy.schema.json` and review the diff
            """)
    }

    /// The loader's key tables are the schema's: a key added to one is in the other.
    @Test("every key the loader allows is described in the schema, and no other")
    func schemaKeysAreTheLoadersKeys() throws {
        let schema = try #require(try parseJSON(Styxy.Schema.text) as? [String: Any])
        let definitions = try #require(schema["$defs"] as? [String: Any])
        func keys(_ object: Any?) throws -> [String] {
            let properties = try #require((object as? [String: Any])?["properties"] as? [String: Any])
            for (name, value) in properties {
                let description = (value as? [String: Any])?["description"] as? String
                #expect(description?.isEmpty == false, "\(name) has no description for an editor's hover")
            }
            return properties.keys.sorted()
        }
        let service = definitions["service"] as? [String: Any]
        let ready = (service?["properties"] as? [String: Any])?["ready"]
        #expect(try keys(schema) == ManifestKeys.top.map(\.name).sorted())
        #expect(try keys(service) == ManifestKeys.service.map(\.name).sorted())
        #expect(try keys(definitions["namedPort"]) == ManifestKeys.namedPort.map(\.name).sorted())
        #expect(try keys(definitions["compose"]) == ManifestKeys.compose.map(\.name).sorted())
        #expect(try keys(definitions["output"]) == ManifestKeys.output.map(\.name).sorted())
        #expect(try keys(ready) == ManifestKeys.ready.map(\.name).sorted())
        #expect(schema["$id"] as? String == ManifestSchema.url)
        #expect(ManifestSchema.modeline == "# yaml-language-server: $schema=\(ManifestSchema.url)")
    }

    /// A real JSON Schema validator against every manifest the repository has, with `styxy
    /// validate` as the reference (scripts/check-schema.py says how it judges).
    @Test("the schema accepts what validate accepts and refuses the structural mistakes (python jsonschema)",
          .enabled(if: ToolRun.hasPyYAML && ToolRun.hasPythonModule("jsonschema")))
    func schemaAgreesWithValidate() throws {
        let run = try #require(try ToolRun.run("python3", [Repository.path("scripts/check-schema.py"), "--styxy", try StyxyBinary.require()]))
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("schema check:"), "\(run.stdout)")
    }

    @Test("--version names the release and the commit, on the quick path and through ArgumentParser alike")
    func versionText() throws {
        let s = try Sandbox()
        let quick = try s.run(["--version"])
        #expect(quick.status == 0)
        #expect(quick.stdout == StyxyVersion.text + "\n")
        #expect(quick.stdout.hasPrefix("styxy \(StyxyRelease.version) ("))
        // ArgumentParser's own --version (reached when the words are not exactly `--version`).
        do {
            _ = try Styxy.parseAsRoot(["--version"])
            Issue.record("ArgumentParser did not stop at --version")
        } catch {
            #expect(Styxy.fullMessage(for: error) == StyxyVersion.text)
        }
        let binary = try s.runProcess(["--version"])
        #expect(binary.stdout.range(of: #"^styxy [0-9]+\.[0-9]+\.[0-9]+ \((commit [0-9a-z-]+|unknown commit)\)\n$"#,
                                    options: .regularExpression) != nil, "\(binary)")
    }

    @Test("CHANGELOG.md's newest release is this version")
    func changelogNamesThisVersion() throws {
        let text = try #require(try FileIO.readString(Repository.path("CHANGELOG.md")))
        let releases = text.split(separator: "\n").filter { $0.hasPrefix("## [") && !$0.hasPrefix("## [Unreleased]") }
        #expect(releases.first?.hasPrefix("## [\(StyxyRelease.version)]") == true, "\(releases.first ?? "no release heading")")
    }

    @Test("--json documents carry styxy_version after format_version")
    func envelope() throws {
        let s = try Sandbox()
        for arguments in [["types", "--json"], ["lease", "ls", "--json"], ["check", "1", "--json"], ["template", "ls", "--json"]] {
            let result = try s.run(arguments)
            let lines = result.stdout.split(separator: "\n")
            #expect(lines.count > 3 && lines[1] == "  \"format_version\": 1," && lines[2] == "  \"styxy_version\": \"\(StyxyRelease.version)\",",
                    "\(arguments): \(result.stdout.prefix(200))")
        }
    }

    /// Man pages come from `--experimental-dump-help` (the GenerateManual plugin) and completions
    /// from `--generate-completion-script`: both must see every command behind the quick parser.
    @Test("the man page source and the completion scripts list every command")
    func everyCommandIsDocumented() throws {
        func paths(_ command: ParsableCommand.Type, _ prefix: [String]) -> [[String]] {
            command.configuration.subcommands.flatMap { sub -> [[String]] in
                let path = prefix + [sub.configuration.commandName ?? sub._commandName]
                return [path] + paths(sub, path)
            }
        }
        let commands = paths(Styxy.self, [])
        #expect(commands.contains(["schema"]) && commands.contains(["lease", "ls"]))
        let s = try Sandbox()
        let dump = try s.runProcess(["--experimental-dump-help"])
        let tool = try #require(try parseJSON(dump.stdout) as? [String: Any], "\(dump)")
        func dumped(_ command: [String: Any]?, _ prefix: [String]) -> [[String]] {
            ((command?["subcommands"] as? [[String: Any]]) ?? []).flatMap { sub -> [[String]] in
                let path = prefix + [sub["commandName"] as? String ?? "?"]
                return [path] + dumped(sub, path)
            }
        }
        // ArgumentParser adds `help`; every command of ours must be there.
        let inDump = Set(dumped(tool["command"] as? [String: Any], []))
        #expect(Set(commands).subtracting(inDump).isEmpty, "missing from --experimental-dump-help: \(Set(commands).subtracting(inDump))")
        for shell in ["bash", "zsh", "fish"] {
            let script = try s.runProcess(["--generate-completion-script", shell]).stdout
            for path in commands {
                #expect(script.contains(path.last!), "\(shell) completion lacks \(path.joined(separator: " "))")
            }
        }
    }
}
