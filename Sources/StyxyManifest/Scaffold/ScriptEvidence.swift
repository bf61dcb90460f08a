import StyxyCore

/// A command line that passes a port, made into a service: `package.json` scripts and Procfile
/// processes both go through here.
enum CommandEvidence {
    /// Nil when the command names no port.
    static func service(name: String, command: String, origin: String, guess: TypeGuess) -> ServiceEvidence? {
        let scan = CommandPorts(command)
        let found = scan.ports()
        guard !found.isEmpty else { return nil }
        var ports: [PortEvidence] = []
        var placeholders: [(CommandPorts.Port, String)] = []
        var portNames: Set<String> = []
        for port in found {
            let variables = port.value.variable.map { [$0] } ?? []
            if found.count == 1 {
                ports.append(PortEvidence(preferred: port.value.preferred, variables: variables))
                placeholders.append((port, "{{port}}"))
                continue
            }
            // Several ports: named after their flags (`--ui-port` → ui), the plain one `main`.
            let portName = ScaffoldNames.firstFree(ScaffoldNames.portName(port.label ?? "main"), separator: "_") { portNames.contains($0) }
            portNames.insert(portName)
            ports.append(PortEvidence(name: portName, preferred: port.value.preferred, variables: variables))
            placeholders.append((port, "{{ports.\(portName)}}"))
        }
        var evidence = ServiceEvidence(
            origin: origin, name: name,
            type: guess.fromCommand(command) ?? guess.fromName(name) ?? guess.fromPort(found[0].value.preferred) ?? "dev",
            ports: ports, command: scan.templated(placeholders))
        if command.contains("{{") || command.contains("}}") {
            // A command is a Mustache template; braces of its own would be read as placeholders.
            evidence.command = nil
            evidence.comments.append("no command: it already contains {{ or }}, which Styxy reads as placeholders")
        }
        return evidence
    }
}

/// `package.json`: each script that passes a port is a service named after the script.
enum PackageJSONEvidence {
    static let fileName = "package.json"

    static func read(_ bytes: [UInt8], guess: TypeGuess) -> EvidenceReading {
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
        for (name, value) in scripts {
            guard let command = value.stringValue else {
                reading.skipped.append("\(fileName) script \(ScaffoldText.quoted(name)) is not a string")
                continue
            }
            let origin = "\(fileName) script \(ScaffoldText.quoted(name))"
            if let service = CommandEvidence.service(name: name, command: command, origin: origin, guess: guess) {
                reading.services.append(service)
            }
        }
        if reading.services.isEmpty { reading.skipped.append("\(fileName): no script passes a port") }
        return reading
    }
}

/// `Procfile` (Heroku, foreman, overmind): `name: command` lines.
enum ProcfileEvidence {
    static let fileName = "Procfile"

    static func read(_ bytes: [UInt8], guess: TypeGuess) -> EvidenceReading {
        var reading = EvidenceReading()
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
            if let service = CommandEvidence.service(name: name, command: command, origin: origin, guess: guess) {
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
