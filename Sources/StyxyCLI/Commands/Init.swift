import ArgumentParser
import StyxyCore
import StyxyKit
import StyxyManifest
import StyxyRender

extension Styxy {
    struct Init: StyxyCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Propose a commented styxy.yaml from the project's package.json, Compose file and Procfile.",
            discussion: """
                Scripts that pass a port (--port 3000, -p 3000, PORT=3000), Compose services that publish a \
                host port, and Procfile processes that use $PORT or a port become services, each with a \
                comment saying where it was found. An existing styxy.yaml is never replaced. Exit status: \
                0 written (or printed), 64 no such folder, 65 invalid configuration, 73 styxy.yaml exists or \
                cannot be written. See docs/init.md.
                """
        )

        @Option(help: "The project folder to read and write styxy.yaml in.", completion: .directory)
        var dir: String = "."
        @Flag(help: "Print the proposal on standard output and a summary on standard error; write nothing.")
        var dryRun = false
        @Flag(help: "Print only the proposal on standard output (for redirecting or piping); write nothing.")
        var forceStdout = false

        func run(in context: CommandContext) throws {
            let outcome = try context.app.proposeManifest(in: dir, write: !(dryRun || forceStdout))
            let (proposal, manifestPath) = (outcome.proposal, outcome.manifestPath)
            let (out, err) = (context.out, context.err)
            if forceStdout {
                out.write(proposal.text)
                return
            }
            if dryRun {
                out.write(proposal.text)
                err.line("dry run: nothing written; \(Self.summary(proposal, path: manifestPath, verb: "would write"))")
                err.report(proposal.notes.map { Diagnostic(.note, $0) })
                if outcome.manifestExists {
                    err.line("\(manifestPath) already exists; init never replaces it, so compare by hand (`styxy validate` checks the existing one)")
                }
                return
            }
            out.line(Self.summary(proposal, path: manifestPath, verb: "wrote"))
            err.report(proposal.notes.map { Diagnostic(.note, $0) })
            if let exposed = outcome.unignoredOutputs, !exposed.isEmpty {
                err.report([Diagnostic(
                    .note, "git does not ignore \(exposed.joined(separator: ", ")), which will hold this machine's ports",
                    hint: "add \(exposed.count == 1 ? "it" : "them") to .gitignore, so no one commits their ports for everyone")])
            }
            let plainPath = manifestPath.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "._/-".unicodeScalars.contains($0) }
            let resolve = dir == "." ? "styxy resolve" : "styxy resolve -m \(plainPath ? manifestPath : Quoting.shell(manifestPath))"
            out.line(proposal.services.isEmpty
                ? "next: declare the project's services in \(manifestPath), then run `\(resolve)`"
                : "next: review \(manifestPath), then run `\(resolve)` to lease the ports and write the outputs it lists")
        }

        static func summary(_ proposal: ManifestScaffold.Proposal, path: String, verb: String) -> String {
            if proposal.sources.isEmpty {
                return "\(verb) \(path): a starting point with one placeholder service (web); nothing here names a port"
            }
            let count = proposal.services.count == 1 ? "1 service" : "\(proposal.services.count) services"
            return "\(verb) \(path): \(count) (\(proposal.services.joined(separator: ", "))) from \(proposal.sources.joined(separator: ", "))"
        }
    }
}
