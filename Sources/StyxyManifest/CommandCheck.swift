import StyxyCore

/// The names one service's `command:` may use besides the project's variables: its own ports
/// (`port`, `ports.<name>`) and their variables.
public struct CommandNames: Sendable {
    public var service: String
    public var ports: [(name: String, env: [String])]

    public init(service: String, ports: [(name: String, env: [String])]) {
        self.service = service
        self.ports = ports
    }
}

/// Checks a command template against the names it may use (`projectVariables` are every
/// service's variables) and returns its problems. Each diagnostic's message says where in the
/// command the problem is; the loader gives it the location of the `command:` value.
public typealias CommandCheck = @Sendable (_ command: String, _ names: CommandNames, _ projectVariables: [String]) -> [Diagnostic]

extension ManifestBuilder {
    /// Every command checked against every variable the manifest declares, valid services or
    /// not: a mistake in one service's command is independent of a mistake elsewhere, and both
    /// are reported in one run, each at its own `command:` line. Only when the file has other
    /// mistakes: a file without any is rendered next, and rendering expands the commands with the
    /// same checks and messages, so the warm path does not compile each command twice.
    mutating func checkCommands() {
        guard let commandCheck, !commands.isEmpty, !reader.bag.isEmpty else { return }
        var projectVariables: [String] = []
        var seen = Set<String>()
        for entry in declared {
            for variable in entry.port.env where seen.insert(variable).inserted { projectVariables.append(variable) }
        }
        for (text, node, names) in commands {
            for var problem in commandCheck(text, names, projectVariables) {
                problem.location = node.location
                problem.file = nil
                problem.keyPath = "services.\(names.service).command"
                reader.bag.append(contentsOf: [problem])
            }
        }
    }
}
