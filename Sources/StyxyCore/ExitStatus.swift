/// The exit codes of DESIGN.md §6, one place for all of them.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    case success = 0
    /// A conflict, a busy port (`check`), a stale output (`--check`) or a failed command.
    case conflict = 1
    case usage = 64
    /// Invalid manifest, template or configuration.
    case invalidInput = 65
    /// No free port in a range.
    case noFreePort = 69
    /// An output cannot be written.
    case cannotWriteOutput = 73
    /// The ledger cannot be read or written.
    case ledgerIO = 74
    /// The lock could not be taken in time.
    case lockTimeout = 75
}
