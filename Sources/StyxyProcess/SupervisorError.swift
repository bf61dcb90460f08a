#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StyxyCore

/// Why the supervisor could not do what it was asked. Each message says what failed and what to do.
public enum SupervisorError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Not Linux: no child subreaper and no `/proc`, so the promise that no process outlives the
    /// supervisor cannot be kept.
    case unsupported(String)
    /// Another `Supervisor` of this process is still active: signal handling and reaping are
    /// process-wide, so only one may be.
    case alreadyActive
    /// `start` named a service missing from the names given to `init`.
    case undeclared(String, declared: [String])
    case alreadyStarted(String)
    /// `start` after `stop`.
    case finished
    /// A system call failed (`operation` is the call, with what it was for).
    case system(operation: String, code: Int32)
    /// The service's process could not be started at all.
    case spawn(service: String, directory: String, code: Int32)

    public var description: String {
        switch self {
        case .unsupported(let platform):
            "running services needs Linux (a child subreaper and /proc); this is \(platform)"
        case .alreadyActive:
            "another supervisor is active in this process; stop it before starting a new one"
        case .undeclared(let name, let declared):
            "service '\(PrintableText.escaped(name))' was not declared to the supervisor (declared: \(declared.map(PrintableText.escaped).joined(separator: ", ")))"
        case .alreadyStarted(let name):
            "service '\(PrintableText.escaped(name))' is already started"
        case .finished:
            "the supervisor has stopped; create a new one to start services again"
        case .system(let operation, let code):
            "\(operation): \(FileIO.errorText(code))"
        case .spawn(let service, let directory, let code):
            code == ENOENT || code == ENOTDIR || code == EACCES
                ? "cannot start \(PrintableText.escaped(service)) in \(PrintableText.escaped(directory)): \(FileIO.errorText(code)); check the service's cwd"
                : "cannot start \(PrintableText.escaped(service)): \(FileIO.errorText(code))"
        }
    }
}
