import StyxyCore

/// A change that puts a port's placeholder into a command: `range` (empty for an insertion) is
/// replaced by `before`, the placeholder and `after`; without a placeholder, by `before` alone.
struct CommandEdit {
    var range: Range<Int>
    var before = ""
    var after = ""
    var placeholder = true
}

/// A port a script passes, or should pass, to what it starts.
struct ScriptPort {
    var value: CommandPorts.Value
    /// Its name among several: a flag's (`--ui-port` → ui), a server's (`inspect`); nil is `main`.
    var label: String?
    var edits: [CommandEdit]
    var variables: [String] = []
    /// A port beside the server's own (the debugger's): it never decides the service's type.
    var side = false

    var key: String { label ?? "main" }
}

/// One script or Procfile process, read for the ports it passes and the servers it starts,
/// before it is made a service (scripts that start the same server become one service first).
struct ScriptScan {
    var name: String
    var command: String
    var origin: String
    var ports: [ScriptPort] = []
    /// Edits without a placeholder: strict-port flags added beside a port the script passes.
    var flagEdits: [CommandEdit] = []
    var servers: [DevServer] = []
    /// The program and its arguments, without options and ports: scripts with the same identity
    /// start the same server (`nodemon src/server.js` and `nodemon --inspect src/server.js`).
    var identity: [String]? = nil
    var comments: [String] = []
    /// Scripts merged into this one, which start the same server.
    var merged: [ScriptScan] = []

    /// Nil when the command passes no port and is not one simple command (so nothing to merge with).
    init?(name: String, command: String, origin: String, matcher: ServerMatcher) {
        self.name = name
        self.command = command
        self.origin = origin
        let scan = CommandPorts(command)
        ports = scan.ports().map {
            ScriptPort(value: $0.value, label: $0.label, edits: $0.spans.map { CommandEdit(range: $0) }, variables: $0.value.variable.map { [$0] } ?? [])
        }
        var started: [ServerMatcher.Started] = []
        if case .commands(let found) = matcher.find(in: command) { started = found }
        for simple in started {
            for match in simple.matches {
                servers.append(match.server)
                add(match, startedBy: simple, scan: scan)
            }
        }
        let spans = ports.flatMap { $0.edits.map(\.range) }
        // A script without ports is kept for its identity: it may start the same server as one
        // with a port (`nodemon src/server.js` beside `nodemon --inspect src/server.js`).
        let primary = started.first { !$0.matches.isEmpty } ?? started.first { simple in spans.contains { simple.holds($0) } }
            ?? (ports.isEmpty && started.count == 1 ? started.first : nil)
        identity = primary?.identity(excluding: spans)
        if ports.isEmpty, identity == nil { return nil }
        // Placeholders are found by name, so two ports of one name (`--port 3000 & PORT=4000 node
        // api.js`, both the main port) get `main` and `main_2`.
        var seen: Set<String> = []
        for index in ports.indices {
            let key = ScaffoldNames.firstFree(ports[index].key, separator: "_") { seen.contains($0) }
            if key != ports[index].key { ports[index].label = key }
            seen.insert(key)
        }
    }

    // MARK: Servers

    private enum Passed {
        case value(CommandPorts.Value, Range<Int>)
        /// `--inspect` without a value: the server's default port.
        case bareFlag(ShellWords.Word)
    }

    private mutating func add(_ match: ServerMatcher.Match, startedBy simple: ServerMatcher.Started, scan: CommandPorts) {
        let server = match.server
        let words = simple.words
        let hasStrict = server.strict.map { strict in words.contains { $0.text == strict || $0.text.hasPrefix(strict + "=") } } ?? true
        let tableName = "\(server.name) (dev-server table)"
        var variables: [String] = []
        if case .variable(let name) = server.flag { variables.append(name) }
        func attach(_ index: Int) {
            if ports[index].label == nil { ports[index].label = server.portName }
            ports[index].side = server.portName != nil
            for variable in variables where !ports[index].variables.contains(variable) { ports[index].variables.append(variable) }
        }
        func strictBeside(_ span: Range<Int>) {
            guard !hasStrict, let strict = server.strict, let word = words.first(where: { $0.range.contains(span.lowerBound) }) else { return }
            flagEdits.append(CommandEdit(range: word.range.upperBound..<word.range.upperBound, before: " \(strict)", placeholder: false))
            comments.append("runs \(tableName): \(strict) added, so it fails instead of moving to another port")
        }
        switch Self.passed(match, by: simple, scan: scan) {
        case .value(let value, let span)?:
            if let index = ports.firstIndex(where: { $0.edits.contains { $0.range == span || $0.range.overlaps(span) } }) {
                attach(index)
            } else {
                ports.append(ScriptPort(value: value, label: server.portName, edits: [CommandEdit(range: span)],
                                        variables: (value.variable.map { [$0] } ?? []) + variables, side: server.portName != nil))
            }
            strictBeside(span)
        case .bareFlag(let word)?:
            ports.append(ScriptPort(value: .literal(server.port), label: server.portName,
                                    edits: [CommandEdit(range: word.range, before: word.text + "=")], side: server.portName != nil))
            comments.append("runs \(tableName): \(word.text) opens port \(server.port) unless given one, so the command passes the leased port")
        case nil:
            // A port found without the table (`-b 0.0.0.0:8000` for gunicorn) is this server's.
            if let index = ports.firstIndex(where: { !$0.side && $0.edits.contains { simple.holds($0.range) } }) {
                attach(index)
                if let span = ports[index].edits.first?.range { strictBeside(span) }
                return
            }
            var edit: CommandEdit
            let end = words[match.lastCommandWord].range.upperBound
            let strict = hasStrict ? "" : server.strict.map { " \($0)" } ?? ""
            switch server.flag {
            case .separate(let flag): edit = CommandEdit(range: end..<end, before: " \(flag) ", after: strict)
            case .joined(let flag): edit = CommandEdit(range: end..<end, before: " \(flag)=", after: strict)
            case .positional: edit = CommandEdit(range: end..<end, before: " ", after: strict)
            case .address(let flag, let host): edit = CommandEdit(range: end..<end, before: " \(flag) \(host):", after: strict)
            case .variable(let name):
                let start = words[0].range.lowerBound
                edit = CommandEdit(range: start..<start, before: "\(name)=", after: " ")
            }
            ports.append(ScriptPort(value: .literal(server.port), label: server.portName, edits: [edit], variables: variables, side: server.portName != nil))
            let how = server.flag.spelling + strict
            comments.append("runs \(tableName) without a port: it listens on \(server.port) by default, so the command now passes the leased one (\(how))")
        }
    }

    /// The port the command already passes the server in the server's own spelling.
    private static func passed(_ match: ServerMatcher.Match, by simple: ServerMatcher.Started, scan: CommandPorts) -> Passed? {
        let server = match.server
        let words = simple.words
        func value(in range: Range<Int>) -> Passed? {
            let start = scan.lastColon(in: range).map { $0 + 1 } ?? range.lowerBound
            return scan.value(in: start..<range.upperBound).map { .value($0.0, $0.1) }
        }
        switch server.flag {
        case .variable(let name):
            for word in words[..<simple.program] where ServerMatcher.assignment(word.text) == name {
                return value(in: (word.range.lowerBound + name.utf8.count + 1)..<word.range.upperBound)
            }
            return nil
        case .positional:
            let next = match.lastCommandWord + 1
            guard next < words.count, !words[next].text.hasPrefix("-") else { return nil }
            return value(in: words[next].range)
        case .separate, .joined, .address:
            for index in words.indices where index > simple.program {
                let word = words[index]
                for flag in server.flagWords {
                    if word.text.hasPrefix(flag + "="), let found = value(in: (word.range.lowerBound + flag.utf8.count + 1)..<word.range.upperBound) {
                        return found
                    }
                    guard word.text == flag else { continue }
                    // node takes `--inspect=N` only: a word after `--inspect` is the script it runs.
                    if server.needsFlag { return .bareFlag(word) }
                    if index + 1 < words.count, let found = value(in: words[index + 1].range) { return found }
                }
            }
            return nil
        }
    }
}
