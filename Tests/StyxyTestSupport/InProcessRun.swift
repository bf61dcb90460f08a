import Foundation
import StyxyCLI
import StyxyEngine
import StyxyKit
import StyxyProbe
import Synchronization
import Testing

extension Sandbox {
    /// Runs `styxy ARGS` in this process, through the same entry point as the binary, with the
    /// same scratch environment as `runProcess`, the real port probe, and `directory` (default: the
    /// test process's folder) as the working folder. `run`'s command is started as a child and
    /// waited for, its output collected and its status returned, instead of replacing the process.
    @discardableResult
    public func run(_ arguments: [String], environment extra: [String: String] = [:], in directory: String? = nil,
             clock: (@Sendable () -> Int64)? = nil) throws -> RunResult {
        let variables = environment.merging(extra) { $1 }
        let (out, err) = (TextBuffer(), TextBuffer())
        let logs = nextLog()
        let launch: CommandContext.Launcher = { plan, _ in
            var childEnvironment = variables
            for (name, value) in plan.variables { childEnvironment[name] = value }
            // `env` looks the command up on PATH, as execvp would, and exits 127 when it is missing.
            guard let child = try? ChildProcess("/usr/bin/env", plan.arguments, environment: childEnvironment, outputPrefix: logs + "-run",
                                                directory: plan.directory ?? directory) else { return 126 }
            child.wait(timeout: 60)
            out.append(child.stdout)
            err.append(child.stderr)
            return child.status ?? 126
        }
        let context = CommandContext(
            environment: StyxyEnvironment(variables: variables, workingDirectory: directory ?? FileManager.default.currentDirectoryPath,
                                          probe: LinuxPortProbe(), clock: clock ?? self.clock.function),
            out: Terminal(buffer: out), err: Terminal(buffer: err), launch: launch)
        // On a thread of its own with a main thread's stack: test-pool threads have small stacks,
        // and hostile templates are rendered close to the depth the binary allows.
        let finished = DispatchSemaphore(value: 0)
        let status = Mutex<Int32>(-1)
        let thread = Thread {
            status.withLock { $0 = Styxy.main(arguments, context: context) }
            finished.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        finished.wait()
        return RunResult(status: status.withLock { $0 }, stdout: out.text, stderr: err.text, timedOut: false)
    }
}
