import ArgumentParser
import StyxyCore
import StyxyKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a command runs against: the use cases' environment, two output streams, and how a
/// command line is started in place of Styxy (`run`). The process builds one from itself; tests
/// build one with buffers, a scratch state home and a launcher that records instead of exec'ing.
package struct CommandContext: Sendable {
    /// Replaces Styxy with the plan's command (its variables set on top of the environment, in its
    /// folder); returns only when that failed, with the status to exit with (126, 127).
    package typealias Launcher = @Sendable (_ plan: RunPlan, _ err: Terminal) -> Int32

    package var environment: StyxyEnvironment
    package var out: Terminal
    package var err: Terminal
    package var launch: Launcher

    package init(environment: StyxyEnvironment, out: Terminal, err: Terminal, launch: @escaping Launcher) {
        self.environment = environment
        self.out = out
        self.err = err
        self.launch = launch
    }

    package var app: StyxyApp { StyxyApp(environment) }

    /// This process: its environment, standard output and error, and `execvp`.
    package static func process() -> CommandContext {
        let environment = StyxyEnvironment.process()
        return CommandContext(environment: environment,
                              out: Terminal(descriptor: 1, allowColour: environment.allowsColour),
                              err: Terminal(descriptor: 2, allowColour: environment.allowsColour),
                              launch: execute)
    }

    /// `execvp` with the variables set first; 127 when the command is not found, else 126.
    @Sendable static func execute(_ plan: RunPlan, _ err: Terminal) -> Int32 {
        let arguments = plan.arguments
        for (name, value) in plan.variables { setenv(name, value, 1) }
        if let folder = plan.directory, chdir(folder) != 0 {
            err.line("styxy: cannot start in \(folder): \(FileIO.errorText(errno))")
            return 126
        }
        let cArguments = arguments.map { strdup($0) } + [nil]
        execvp(arguments[0], cArguments)
        let code = errno
        let status: Int32 = (code == ENOENT || code == ENOTDIR) ? 127 : 126
        err.line("styxy: \(arguments[0]): \(status == 127 ? "command not found" : FileIO.errorText(code))")
        return status
    }
}

/// A Styxy command: ArgumentParser parses it, then it runs against a context instead of the
/// process, so tests drive every command in-process.
protocol StyxyCommand: ParsableCommand {
    func run(in context: CommandContext) throws
}

extension StyxyCommand {
    func run() throws {
        try run(in: .process())
    }
}

/// Ends this process with `status` (outside any type, where `exit` means libc's).
func endProcess(_ status: Int32) -> Never {
    exit(status)
}
