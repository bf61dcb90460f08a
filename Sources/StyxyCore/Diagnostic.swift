/// A place in a file that a message points at. Lines and columns are 1-based.
public struct SourceLocation: Hashable, Sendable, Comparable {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

/// One problem found in user input, printed as `file:line:col: error: message`.
public struct Diagnostic: Hashable, Sendable {
    public enum Severity: String, Sendable { case error, warning, note }

    public var severity: Severity
    public var message: String
    /// Where it is; nil when the problem concerns a whole file or no file.
    public var location: SourceLocation?
    /// The dotted key path (`services.api.port`), when there is one.
    public var keyPath: String?
    /// What to do about it, when there is something to say.
    public var hint: String?
    /// The file a location-less message is about (`path: error: ...`).
    public var file: String?

    public init(
        _ severity: Severity = .error, _ message: String, at location: SourceLocation? = nil,
        keyPath: String? = nil, hint: String? = nil
    ) {
        self.severity = severity
        self.message = message
        self.location = location
        self.keyPath = keyPath
        self.hint = hint
    }

    /// The compiler-style rendering every command prints.
    public var rendered: String { rendered { $0 } }

    /// The same, with the severity word passed through `style` (colour on a terminal).
    public func rendered(severityStyle style: (String) -> String) -> String {
        var prefix = ""
        if let location {
            prefix = "\(location.file):\(location.line):\(location.column): "
        } else if let file {
            prefix = "\(file): "
        }
        var text = "\(prefix)\(style(severity.rawValue + ":")) "
        // User text (values, key names) reaches messages: a diagnostic stays one line, and a
        // terminal escape in a project's file never reaches the terminal.
        if let keyPath, !keyPath.isEmpty { text += "\(PrintableText.escaped(keyPath)): " }
        text += PrintableText.escaped(message)
        if let hint { text += " (\(PrintableText.escaped(hint)))" }
        return text
    }
}

/// An error a command reports to the user and maps to a documented exit status.
public protocol StyxyFailure: Error {
    var exitStatus: ExitStatus { get }
    /// Every line to print, already in `file:line:col: error: ...` form where a place is known.
    var diagnostics: [Diagnostic] { get }
}

/// A failure carrying a ready set of diagnostics; most parts of Styxy throw this.
public struct StyxyError: StyxyFailure, CustomStringConvertible {
    public var exitStatus: ExitStatus
    public var diagnostics: [Diagnostic]

    public init(_ exitStatus: ExitStatus, _ diagnostics: [Diagnostic]) {
        self.exitStatus = exitStatus
        self.diagnostics = diagnostics
    }

    public init(
        _ exitStatus: ExitStatus, _ message: String, at location: SourceLocation? = nil,
        file: String? = nil, hint: String? = nil
    ) {
        var diagnostic = Diagnostic(.error, message, at: location, hint: hint)
        diagnostic.file = file
        self.init(exitStatus, [diagnostic])
    }

    public var description: String { diagnostics.map(\.rendered).joined(separator: "\n") }
}
