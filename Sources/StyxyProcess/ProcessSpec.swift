#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One service as the supervisor starts it: `/bin/sh -c COMMAND`, as npm and Procfile runners do,
/// so a command may use pipes, `&&` and variables like a script line.
public struct ProcessSpec: Sendable, Equatable {
    /// The service's name: its output prefix, and its key in `Supervisor.children`.
    public var name: String
    public var command: String
    /// The whole environment of the process: nothing of the supervisor's own is added.
    public var environment: [String: String]
    public var workingDirectory: String

    public init(name: String, command: String, environment: [String: String], workingDirectory: String) {
        self.name = name
        self.command = command
        self.environment = environment
        self.workingDirectory = workingDirectory
    }
}

/// How a process ended.
public enum Termination: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    /// The shell's convention: the exit code, or 128 + the signal's number.
    public var code: Int32 {
        switch self {
        case .exited(let code): code
        case .signalled(let signal): 128 + signal
        }
    }

    /// From a `waitpid` status word; nil for a stop or a continue, which end nothing.
    init?(waitStatus raw: Int32) {
        let signal = raw & 0x7f
        if signal == 0 {
            self = .exited((raw >> 8) & 0xff)
        } else if signal != 0x7f {  // 0x7f marks a stop, or (as 0xffff) a continue
            self = .signalled(signal)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signalled(let signal): "signal \(signal) (\(SignalName.of(signal)))"
        }
    }
}

/// What the caller's tick asks for.
public enum TickDecision<Reason> {
    case proceed
    /// Ends `run` with `.stopped(reason)`; the caller then calls `stop`.
    case stop(Reason)
}

/// Why `Supervisor.run` returned. Nothing has been stopped yet: the caller says what happened, then
/// calls `stop`.
public enum Ending<Reason> {
    /// A service's main process ended (its own descendants may still run).
    case exited(service: String, Termination)
    /// SIGINT or SIGTERM reached the supervisor.
    case signalled(Int32)
    /// The caller's tick asked to stop.
    case stopped(Reason)
}

/// What `Supervisor.stop` had to do.
public struct StopReport: Sendable, Equatable {
    /// Processes still alive when the grace period ended, and so sent SIGKILL.
    public var killed: Set<pid_t> = []
    /// Processes that outlived SIGKILL for as long as the supervisor waited (a process stuck in the
    /// kernel, in state D). Empty unless something is badly wrong.
    public var survivors: Set<pid_t> = []
    /// The SIGINT or SIGTERM that cut the grace period short, if one did.
    public var interruptedBy: Int32?

    public init(killed: Set<pid_t> = [], survivors: Set<pid_t> = [], interruptedBy: Int32? = nil) {
        self.killed = killed
        self.survivors = survivors
        self.interruptedBy = interruptedBy
    }
}

/// Signal names for messages: `SIGTERM`, not `15`.
public enum SignalName {
    public static func of(_ signal: Int32) -> String {
        switch signal {
        case SIGHUP: "SIGHUP"
        case SIGINT: "SIGINT"
        case SIGQUIT: "SIGQUIT"
        case SIGILL: "SIGILL"
        case SIGABRT: "SIGABRT"
        case SIGFPE: "SIGFPE"
        case SIGKILL: "SIGKILL"
        case SIGSEGV: "SIGSEGV"
        case SIGPIPE: "SIGPIPE"
        case SIGALRM: "SIGALRM"
        case SIGTERM: "SIGTERM"
        case SIGUSR1: "SIGUSR1"
        case SIGUSR2: "SIGUSR2"
        case SIGBUS: "SIGBUS"
        default: "signal \(signal)"
        }
    }
}
