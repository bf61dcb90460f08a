import ArgumentParser
import StyxyCore

#if canImport(Glibc)
import Glibc
#endif

public struct Styxy: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "styxy",
        abstract: "Stable, collision-free ports for every project on this machine.",
        discussion: """
            Each project declares its services in styxy.yaml. `styxy resolve` leases every service a port \
            that no other project holds and that the operating system confirms is free, then writes the \
            files the project's tools read. Shell completions: `styxy --generate-completion-script bash`.
            """,
        subcommands: [Init.self, Resolve.self, Run.self, Env.self, Matrix.self, Lease.self, Check.self, Scan.self, Doctor.self, Validate.self, Types.self]
    )

    public init() {}

    /// Parses the command line, runs the command and exits with the documented status. Styxy's own
    /// failures print `file:line:col: error: ...` lines; usage errors are ArgumentParser's (exit 64).
    /// The commands that run inside every `npm run dev`, parsed on their own. Building the whole
    /// command tree reflects over every command and was a quarter of a warm resolve; parsing one
    /// command type costs a fraction. Anything this cannot parse (help, mistakes) goes through the
    /// full tree, which prints the proper messages.
    static func parseDirectly(_ arguments: [String]) -> (any ParsableCommand)? {
        guard let name = arguments.first else { return nil }
        let rest = Array(arguments.dropFirst())
        switch name {
        case "resolve": return try? Resolve.parse(rest)
        case "run": return try? Run.parse(rest)
        case "env": return try? Env.parse(rest)
        default: return nil
        }
    }

    public static func runMain(_ arguments: [String]? = nil) -> Never {
        do {
            let arguments = arguments ?? Array(CommandLine.arguments.dropFirst())
            var command = try parseDirectly(arguments) ?? parseAsRoot(arguments)
            try command.run()
            Glibc.exit(0)
        } catch let failure as StyxyFailure {
            Terminal.standardError.report(failure.diagnostics)
            Glibc.exit(failure.exitStatus.rawValue)
        } catch {
            exit(withError: error)
        }
    }
}
