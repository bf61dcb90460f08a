import ArgumentParser
import StyxyCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct Styxy: ParsableCommand {
    /// What `styxy --version` prints.
    public static let configuration = CommandConfiguration(
        commandName: "styxy",
        abstract: "Stable, collision-free ports for every project on this machine.",
        discussion: """
            Each project declares its services in styxy.yaml. `styxy resolve` leases every service a port \
            that no other project holds and that the operating system confirms is free, then writes the \
            files the project's tools read. Shell completions: `styxy --generate-completion-script bash`.
            """,
        version: StyxyVersion.text,
        subcommands: [
            Init.self, Resolve.self, Run.self, Up.self, Wait.self, Env.self, Matrix.self, Lease.self, Check.self, Scan.self,
            Doctor.self, Validate.self, Types.self, Template.self, Schema.self, Hook.self,
        ]
    )

    public init() {}

    /// Parses the command line, runs the command against `context` and returns the documented exit
    /// status. Styxy's own failures print `file:line:col: error: ...` lines; usage errors are
    /// ArgumentParser's (exit 64). The commands that run inside every `npm run dev` skip
    /// ArgumentParser when their words are plain (see `QuickArguments`); anything else goes through
    /// the full command tree, which parses the same words and prints the proper help and errors.
    package static func main(_ arguments: [String], context: CommandContext) -> Int32 {
        if let answer = immediateAnswer(arguments) {
            context.out.line(answer)
            return 0
        }
        do {
            if let quick = quickCommand(arguments) {
                try quick(context)
            } else {
                var command = try parseAsRoot(arguments)
                if let command = command as? any StyxyCommand {
                    try command.run(in: context)
                } else {
                    try command.run()
                }
            }
            return 0
        } catch let failure as StyxyFailure {
            context.err.report(failure.diagnostics)
            return failure.exitStatus.rawValue
        } catch {
            let status = exitCode(for: error).rawValue
            if status == ExitStatus.usage.rawValue, let typo = unknownSubcommand(arguments) {
                // Said first; ArgumentParser's message with the command's usage follows.
                context.err.line("styxy: unknown command '\(PrintableText.escaped(typo.word))'"
                    + (Suggestion.didYouMean(typo.word, among: typo.known).map { " (\($0))" } ?? "")
                    + "; `styxy \(typo.path)--help` lists the commands")
            }
            let message = fullMessage(for: error)
            if !message.isEmpty { (status == 0 ? context.out : context.err).line(message) }
            return status
        }
    }

    /// The first word that should name a subcommand and names none (`styxy reslove`, `styxy lease
    /// rm`), with the names it could have meant and the words before it.
    static func unknownSubcommand(_ arguments: [String]) -> (word: String, known: [String], path: String)? {
        var command: ParsableCommand.Type = Styxy.self
        var path = ""
        for word in arguments where !word.hasPrefix("-") {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty else { return nil }
            let names = subcommands.map { $0.configuration.commandName ?? $0._commandName }
            guard let index = names.firstIndex(of: word) else { return (word, names, path) }
            command = subcommands[index]
            path += word + " "
        }
        return nil
    }

    /// What a command line that needs nothing but itself prints: `--version`. ArgumentParser would
    /// build the whole command tree by reflection to print it (30M instructions, mostly
    /// conformance scans for each command's name), and the process context reads every variable.
    static func immediateAnswer(_ arguments: [String]) -> String? {
        arguments == ["--version"] ? StyxyVersion.text : nil
    }

    static func quickCommand(_ arguments: [String]) -> ((CommandContext) throws -> Void)? {
        guard let name = arguments.first else { return nil }
        let rest = Array(arguments.dropFirst())
        switch name {
        case "resolve": return Resolve.Settings(quick: rest).map { settings in { try settings.execute(in: $0) } }
        case "run": return Run.quick(rest)
        case "env": return Env.quick(rest)
        default: return nil
        }
    }

    public static func runMain(_ arguments: [String]? = nil) -> Never {
        let arguments = arguments ?? Array(CommandLine.arguments.dropFirst())
        if let answer = immediateAnswer(arguments) {
            Terminal(descriptor: 1, allowColour: false).line(answer)
            endProcess(0)
        }
        endProcess(main(arguments, context: .process()))
    }
}
