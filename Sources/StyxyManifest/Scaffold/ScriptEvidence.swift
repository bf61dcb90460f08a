import StyxyCore

/// Scripts and Procfile processes made into services: each that passes a port or starts a
/// server of the dev-server table.
enum CommandEvidence {
    /// Scripts that start the same server (same identity, no clashing ports) are one service,
    /// named after the one without a debugger (else the first); the others are named in comments.
    static func merged(_ scans: [ScriptScan]) -> [ScriptScan] {
        var result: [ScriptScan] = []
        for scan in scans {
            if let identity = scan.identity,
               let index = result.firstIndex(where: { $0.identity == identity && compatible($0, scan) }) {
                result[index].absorb(scan)
            } else {
                result.append(scan)
            }
        }
        // A script without a port that no other script joined names no server.
        return result.filter { !$0.ports.isEmpty }
    }

    /// Two scripts that want different ports for one port name run two servers, not one.
    private static func compatible(_ a: ScriptScan, _ b: ScriptScan) -> Bool {
        b.ports.allSatisfy { port in
            guard let mine = a.ports.first(where: { $0.key == port.key }), let x = mine.value.preferred, let y = port.value.preferred else { return true }
            return x == y
        }
    }

    static func service(_ scan: ScriptScan, guess: TypeGuess) -> ServiceEvidence {
        // A debugger's port is named even alone, so `{{ports.inspect}}` says what it is.
        let named = scan.ports.count > 1 || scan.ports.contains(where: \.side)
        var names: [String: String] = [:]
        var ports: [PortEvidence] = []
        for port in scan.ports {
            let name = ScaffoldNames.firstFree(ScaffoldNames.portName(port.key), separator: "_") { names.values.contains($0) }
            names[port.key] = name
            ports.append(PortEvidence(name: named ? name : nil, preferred: port.value.preferred, variables: port.variables))
        }
        func placeholder(_ key: String) -> String { named ? "{{ports.\(names[key] ?? key)}}" : "{{port}}" }
        var evidence = ServiceEvidence(origin: scan.origin, name: scan.name, type: type(of: scan, guess: guess), ports: ports,
                                       command: templated(scan, placeholder))
        evidence.comments = scan.comments
        evidence.identity = scan.identity
        for other in scan.merged {
            let command = hasBraces(other.command) ? "" : ": `\(templated(other, placeholder))`"
            evidence.comments.append("\(other.origin) starts the same server\(command)")
        }
        if hasBraces(scan.command) {
            // A command is a Mustache template; braces of its own would be read as placeholders.
            evidence.command = nil
            evidence.comments.append("no command: it already contains {{ or }}, which Styxy reads as placeholders")
        }
        return evidence
    }

    /// The table's type for the server it starts; else a guess from the command, name and port.
    private static func type(of scan: ScriptScan, guess: TypeGuess) -> String {
        if let type = scan.servers.filter({ $0.portName == nil }).compactMap(\.type).first(where: guess.isKnown) { return type }
        return guess.fromCommand(scan.command) ?? guess.fromName(scan.name) ?? guess.fromPort(scan.ports.first { !$0.side }?.value.preferred) ?? "dev"
    }

    private static func templated(_ scan: ScriptScan, _ placeholder: (String) -> String) -> String {
        var edits = scan.flagEdits.map { ($0.range, $0.before) }
        for port in scan.ports {
            for edit in port.edits { edits.append((edit.range, edit.before + (edit.placeholder ? placeholder(port.key) : "") + edit.after)) }
        }
        var bytes = Array(scan.command.utf8)
        // From the end, so earlier offsets stay valid; an insertion at a word's end goes before
        // the replacement that ends there. An edit reaching into one already made is dropped
        // rather than let it cut the text apart (no reading produces one today).
        var applied = bytes.count
        for (range, text) in edits.sorted(by: { ($0.0.lowerBound, $0.0.upperBound) > ($1.0.lowerBound, $1.0.upperBound) })
        where range.upperBound <= applied {
            bytes.replaceSubrange(range, with: Array(text.utf8))
            applied = range.lowerBound
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hasBraces(_ command: String) -> Bool { command.contains("{{") || command.contains("}}") }
}

extension ScriptScan {
    /// Takes in `other`, which starts the same server: its ports join under their names. The
    /// script with the fewest debugger ports, then the most ports of its own (then the first)
    /// gives the service its name and command: the plain way to start it, passing what it can.
    mutating func absorb(_ other: ScriptScan) {
        func rank(_ scan: ScriptScan) -> (Int, Int) { (scan.ports.filter(\.side).count, -scan.ports.filter { !$0.side }.count) }
        var primary = self
        var secondary = other
        if rank(other) < rank(self) { swap(&primary, &secondary) }
        for port in secondary.ports where !primary.ports.contains(where: { $0.key == port.key }) {
            var joined = port
            joined.edits = []
            primary.ports.append(joined)
        }
        primary.merged += secondary.merged
        secondary.merged = []
        primary.merged.append(secondary)
        self = primary
    }
}

/// `package.json`: each script that passes a port is a service named after the script.
enum PackageJSONEvidence {
    static let fileName = "package.json"

    static func read(_ bytes: [UInt8], guess: TypeGuess, servers: DevServerTable = .builtin) -> EvidenceReading {
        var reading = EvidenceReading()
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch {
            reading.skipped.append("\(fileName) is not valid JSON (\(error)); its scripts were not read")
            return reading
        }
        if let name = json["name"]?.stringValue, ScaffoldNames.isValidProjectName(name) { reading.project = name }
        guard case .object(let scripts)? = json["scripts"] else {
            reading.skipped.append("\(fileName) has no \"scripts\" object")
            return reading
        }
        let matcher = ServerMatcher(table: servers, scriptNames: Set(scripts.map(\.0)))
        var scans: [ScriptScan] = []
        for (name, value) in scripts {
            guard let command = value.stringValue else {
                reading.skipped.append("\(fileName) script \(ScaffoldText.quoted(name)) is not a string")
                continue
            }
            let origin = "\(fileName) script \(ScaffoldText.quoted(name))"
            if let scan = ScriptScan(name: name, command: command, origin: origin, matcher: matcher) { scans.append(scan) }
        }
        reading.services = CommandEvidence.merged(scans).map { CommandEvidence.service($0, guess: guess) }
        if reading.services.isEmpty { reading.skipped.append("\(fileName): no script passes a port or starts a server init knows") }
        return reading
    }
}

/// `Procfile` (Heroku, foreman, overmind): `name: command` lines.
enum ProcfileEvidence {
    static let fileName = "Procfile"

    static func read(_ bytes: [UInt8], guess: TypeGuess, servers: DevServerTable = .builtin) -> EvidenceReading {
        var reading = EvidenceReading()
        // Every process of a Procfile runs at once, so two never merge into one service.
        let matcher = ServerMatcher(table: servers, scriptNames: [])
        // Lines split on bytes: as a Swift string, "\r\n" is one character and would not split at "\n".
        for (index, rawLine) in bytes.split(separator: 0x0a, omittingEmptySubsequences: false).enumerated() {
            let line = Substring(String(decoding: rawLine, as: UTF8.self)).trimmingBlanks
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":"), colon > line.startIndex,
                  line[..<colon].unicodeScalars.allSatisfy({ ASCII.isAlphanumeric($0) || $0 == "_" || $0 == "-" })
            else {
                reading.skipped.append("\(fileName) line \(index + 1) is not `name: command`")
                continue
            }
            let name = String(line[..<colon])
            let command = String(line[line.index(after: colon)...].trimmingBlanks)
            let origin = "\(fileName) process \(ScaffoldText.quoted(name))"
            if let scan = ScriptScan(name: name, command: command, origin: origin, matcher: matcher), !scan.ports.isEmpty {
                var service = CommandEvidence.service(scan, guess: guess)
                // foreman and Heroku hand the web process $PORT, which some servers read by
                // themselves (gunicorn, rails): the leased port goes there too.
                if name == "web", service.ports.count == 1, !service.ports[0].variables.contains("PORT") {
                    service.ports[0].variables.append("PORT")
                }
                reading.services.append(service)
            } else if name == "web" {
                // Heroku and foreman hand the web process its port in $PORT, whether or not the
                // command line mentions it (the program reads it itself).
                var service = ServiceEvidence(origin: origin, name: name, type: guess.fromCommand(command) ?? guess.fromName(name) ?? "dev",
                                              ports: [PortEvidence(variables: ["PORT"])], command: nil)
                service.comments.append("the web process reads its port from $PORT")
                reading.services.append(service)
            } else {
                reading.skipped.append("\(fileName) process \(ScaffoldText.quoted(name)) opens no port")
            }
        }
        return reading
    }
}

extension Substring {
    /// Without leading and trailing spaces, tabs and carriage returns.
    var trimmingBlanks: Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" || first == "\r" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" || last == "\r" { result = result.dropLast() }
        return result
    }
}
