import StyxyCore

/// How a server is told its port, from the table's `flag` (N standing for the port).
enum PortFlag: Equatable, Sendable {
    /// `--port N`, `-p N`: a flag word, then the number.
    case separate(String)
    /// `--port=N`, `--inspect=N`: one word.
    case joined(String)
    /// `manage.py runserver N`: the first argument after the command.
    case positional
    /// `--bind 127.0.0.1:N`: a flag, then an address whose last part is the port.
    case address(String, host: String)
    /// `PORT=N`: a variable set before the command.
    case variable(String)

    /// The flag word a script may already carry (`--port`); nil for positions and variables.
    var word: String? {
        switch self {
        case .separate(let flag), .joined(let flag), .address(let flag, _): return flag
        case .positional, .variable: return nil
        }
    }

    /// As the table writes it: `--port N`, `N after the command`.
    var spelling: String {
        switch self {
        case .separate(let flag): return "\(flag) N"
        case .joined(let flag): return "\(flag)=N"
        case .positional: return "N after the command"
        case .address(let flag, let host): return "\(flag) \(host):N"
        case .variable(let name): return "\(name)=N"
        }
    }

    /// `--port N` → `.separate("--port")`; nil for a spelling without exactly one N.
    init?(spelling: String) {
        let words = spelling.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        switch words.count {
        case 1 where words[0] == "N":
            self = .positional
        case 1 where words[0].hasSuffix("=N") && words[0].hasPrefix("-"):
            self = .joined(String(words[0].dropLast(2)))
        case 1 where words[0].hasSuffix("=N"):
            let name = String(words[0].dropLast(2))
            guard Manifest.isValidEnvName(name) else { return nil }
            self = .variable(name)
        case 2 where words[0].hasPrefix("-") && words[1] == "N":
            self = .separate(words[0])
        case 2 where words[0].hasPrefix("-") && words[1].hasSuffix(":N") && words[1].count > 2:
            self = .address(words[0], host: String(words[1].dropLast(2)))
        default:
            return nil
        }
    }
}

/// One development server of config/dev-servers.yaml.
struct DevServer: Sendable {
    var name: String
    /// Each a program and its subcommand words: `["next", "dev"]`.
    var commands: [[String]]
    var except: [String] = []
    var port: Int
    var flag: PortFlag
    /// Other flag words that set the port (`-p` beside `--port`).
    var aliases: [String] = []
    var strict: String? = nil
    var type: String? = nil
    /// A named port beside the service's own (`inspect`); nil for the service's main port.
    var portName: String? = nil
    /// The port is open only when the command passes the flag (node's `--inspect`).
    var needsFlag = false

    /// Every flag word that sets the port.
    var flagWords: [String] { (flag.word.map { [$0] } ?? []) + aliases }
}

/// config/dev-servers.yaml: the servers, and the wrappers `init` looks through to find them.
struct DevServerTable: Sendable {
    var servers: [DevServer] = []
    /// Word sequences that run the program after them (`npx`, `python -m`); `untilDashes` when
    /// the program follows the first `--` (`dotenv --`).
    var wrappers: [(words: [String], untilDashes: Bool)] = []
    /// Wrappers that may instead name a package.json script (`pnpm dev`).
    var scriptRunners: [[String]] = []
    /// Programs whose every argument is a command of its own (`concurrently "vite" "tsc -w"`).
    var parallelRunners: [String] = []

    /// The table compiled into the binary. It is checked by the test suite, so a failure here is
    /// a bug in the build; init then goes on without the table rather than failing.
    static let builtin: DevServerTable = (try? parse(Array(builtinDevServersSource.utf8), file: "<built-in dev-server table>")) ?? DevServerTable()

    static func parse(_ bytes: [UInt8], file: String) throws(StyxyError) -> DevServerTable {
        var table = DevServerTable()
        guard let root = try YAMLParser(file: file).parse(bytes) else { return table }
        var reader = SchemaReader()
        if let top = reader.mapping(root, path: "", allowed: ["wrappers", "script_runners", "parallel_runners", "servers"]) {
            // An empty wrapper would match everywhere and never move the matcher forward.
            for (text, node) in top["wrappers"].flatMap({ reader.strings($0, path: "wrappers", what: "a wrapper") }) ?? [] {
                var words = Self.words(text)
                let untilDashes = words.last == "--"
                if untilDashes { words.removeLast() }
                if words.isEmpty { reader.bag.error("an empty wrapper", at: node, path: "wrappers") }
                table.wrappers.append((words, untilDashes))
            }
            for (text, node) in top["script_runners"].flatMap({ reader.strings($0, path: "script_runners", what: "a command") }) ?? [] {
                if Self.words(text).isEmpty { reader.bag.error("an empty script runner", at: node, path: "script_runners") }
                table.scriptRunners.append(Self.words(text))
            }
            table.parallelRunners = (top["parallel_runners"].flatMap { reader.strings($0, path: "parallel_runners", what: "a program") } ?? []).map(\.0)
            if let servers = top["servers"], let entries = reader.entries(servers, path: "servers") {
                for (key, node) in entries {
                    let name = key.scalarText ?? ""
                    if let server = server(named: name, node, reader: &reader) { table.servers.append(server) }
                }
            }
        }
        if !reader.bag.isEmpty { throw StyxyError(.invalidInput, reader.bag.sorted) }
        return table
    }

    private static let serverKeys = ["commands", "except", "port", "flag", "aliases", "strict", "type", "port_name", "needs_flag"]

    private static func server(named name: String, _ node: YAMLNode, reader: inout SchemaReader) -> DevServer? {
        let path = "servers.\(name)"
        guard let fields = reader.mapping(node, path: path, allowed: serverKeys) else { return nil }
        let errorsBefore = reader.bag.items.count
        func required(_ key: String) -> YAMLNode? {
            if fields[key] == nil { reader.bag.error("a server needs `\(key)`", at: node, path: path) }
            return fields[key]
        }
        func list(_ key: String, what: String) -> [String] {
            (fields[key].flatMap { reader.strings($0, path: "\(path).\(key)", what: what) } ?? []).map(\.0)
        }
        let commands = (required("commands").flatMap { reader.strings($0, path: "\(path).commands", what: "a command") } ?? []).map { Self.words($0.0) }
        let port = required("port").flatMap { reader.port($0, path: "\(path).port") }
        var flag: PortFlag? = nil
        if let flagNode = required("flag"), let text = reader.string(flagNode, path: "\(path).flag") {
            flag = PortFlag(spelling: text)
            if flag == nil {
                reader.bag.error("cannot read the port flag '\(text)'", at: flagNode, path: "\(path).flag",
                                 hint: "write it with N for the port: `--port N`, `-p N`, `--port=N`, `N`, `--bind 127.0.0.1:N` or `PORT=N`")
            }
        }
        var server = DevServer(name: name, commands: commands, port: port ?? 0, flag: flag ?? .positional)
        server.except = list("except", what: "a word")
        server.aliases = list("aliases", what: "a flag")
        server.strict = fields["strict"].flatMap { reader.string($0, path: "\(path).strict") }
        server.type = fields["type"].flatMap { reader.string($0, path: "\(path).type") }
        server.portName = fields["port_name"].flatMap { reader.string($0, path: "\(path).port_name") }
        server.needsFlag = fields["needs_flag"].flatMap { reader.boolean($0, path: "\(path).needs_flag") } ?? false
        if commands.contains(where: \.isEmpty) { reader.bag.error("an empty command", at: node, path: "\(path).commands") }
        return reader.bag.items.count == errorsBefore ? server : nil
    }

    private static func words(_ text: String) -> [String] {
        text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }
}
