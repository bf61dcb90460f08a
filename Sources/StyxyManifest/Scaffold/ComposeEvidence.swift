import StyxyCore

/// A Compose file: each service that publishes a fixed host port becomes a service whose lease
/// replaces that host port through the compose-override output.
///
/// Compose files hold far more than ports; everything else is ignored, and what cannot be read
/// (port ranges, UDP, expressions) is left out with a remark, never guessed.
enum ComposeEvidence {
    /// Compose's own discovery order: it reads the first of these that exists.
    static let fileNames = ["compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"]
    /// Compose reads the first of these that exists on top of the main file.
    static let overrideFileNames = ["compose.override.yml", "compose.override.yaml", "docker-compose.override.yml", "docker-compose.override.yaml"]

    /// One entry of a service's `ports:` list.
    struct Published {
        /// Nil when Compose picks the host port (`"3000"`, `"127.0.0.1::3000"`).
        var host: CommandPorts.Value?
        var target: Int
        var hostIP: String?
        /// Nil for a protocol Styxy does not lease (`sctp`).
        var transport: Transport?
        var name: String?
        /// As written, for comments.
        var written: String
    }

    static func read(_ bytes: [UInt8], file: String, guess: TypeGuess) -> EvidenceReading {
        var reading = EvidenceReading()
        let document: YAMLNode?
        do {
            document = try YAMLParser(file: file).parse(bytes)
        } catch {
            let first = error.diagnostics.first
            let place = first?.location.map { "line \($0.line), column \($0.column): " } ?? ""
            reading.skipped.append("\(file) could not be read (\(place)\(first?.message ?? "invalid YAML")); its services were not read")
            return reading
        }
        guard let document, case .mapping(let top) = document.kind,
              let servicesNode = value(top, "services"), case .mapping(let services) = servicesNode.kind
        else {
            reading.skipped.append("\(file) has no `services:` mapping")
            return reading
        }
        if let name = value(top, "name")?.scalarText, ScaffoldNames.isValidProjectName(name), !name.contains("$") {
            reading.project = name
        }
        for (key, node) in services {
            let name = key.scalarText ?? ""
            let label = "\(file) service \(ScaffoldText.quoted(name))"
            guard Manifest.isValidComposeName(name), case .mapping(let fields) = node.kind else {
                reading.skipped.append("\(label) could not be read")
                continue
            }
            if var service = service(named: name, fields: merged(fields), label: label, guess: guess, reading: &reading) {
                service.file = file
                service.after = service.after.map { ServiceRef(file: file, name: $0.name) }
                reading.services.append(service)
            }
        }
        return reading
    }

    private static func service(
        named name: String, fields: [(key: YAMLNode, value: YAMLNode)], label: String, guess: TypeGuess, reading: inout EvidenceReading
    ) -> ServiceEvidence? {
        var usable: [Published] = []
        var left: [String] = []
        var notes: [String] = []
        if let portsNode = value(fields, "ports") {
            guard case .sequence(let items) = portsNode.kind else {
                reading.skipped.append("\(label): its `ports:` is not a list")
                return nil
            }
            for item in items {
                switch published(item) {
                case .failure(let failure):
                    left.append(failure.reason)
                case .success(let port) where port.host == nil:
                    left.append("\(port.written) (Compose picks its host port)")
                case .success(let port) where port.transport == nil:
                    left.append("\(port.written) (Styxy leases TCP and UDP ports only)")
                case .success(let port) where usable.contains(where: { $0.target == port.target && $0.transport == port.transport }):
                    left.append("\(port.written) (container port \(port.target) is already published above)")
                case .success(let port):
                    usable.append(port)
                }
            }
        }
        // A Styxy service has one protocol: TCP when the Compose service publishes any TCP port,
        // else UDP (a DNS or statsd container).
        let transport: Transport = usable.contains { $0.transport == .tcp } || usable.isEmpty ? .tcp : .udp
        for port in usable where port.transport != transport {
            left.append("\(port.written) (UDP beside TCP ports; give it a Styxy service of its own with `protocol: udp`)")
        }
        usable.removeAll { $0.transport != transport }
        guard !usable.isEmpty else {
            let why = left.isEmpty ? "publishes no port" : "publishes no fixed host port Styxy can manage: \(left.joined(separator: ", "))"
            reading.skipped.append("\(label) \(why)")
            return nil
        }
        if !left.isEmpty {
            // The override replaces the service's whole list, so what it cannot write is lost.
            notes.append("left out, and dropped by the compose-override output (which replaces the whole ports list): \(left.joined(separator: ", "))")
        }
        let image = value(fields, "image")?.scalarText
        var ports: [PortEvidence] = []
        for port in usable {
            // Kept, so the override publishes on the same address the base file does.
            var hostIP = port.hostIP.flatMap { $0 == "0.0.0.0" || $0 == "::" || $0.isEmpty ? nil : $0 }
            if let ip = hostIP, !Manifest.isIPAddress(ip) {
                notes.append("Compose publishes port \(port.target) on \(ip), which is not an address the manifest can hold; the compose-override output publishes it on every address")
                hostIP = nil
            }
            let compose = ComposeTarget(service: name, target: port.target, hostIP: hostIP)
            var evidence = PortEvidence(preferred: port.host?.preferred, variables: port.host?.variable.map { [$0] } ?? [], compose: compose)
            if usable.count > 1 {
                evidence.name = ScaffoldNames.portName(port.name ?? "port_\(port.target)")
                // Unnamed ports are told apart by container port: RABBITMQ_5672_PORT.
                if port.name == nil { evidence.envStem = String(port.target) }
            }
            ports.append(evidence)
        }
        // Two named ports may sanitise to one name; number the later ones.
        var seen: Set<String> = []
        for index in ports.indices {
            guard let portName = ports[index].name else { continue }
            let candidate = ScaffoldNames.firstFree(portName, separator: "_") { seen.contains($0) }
            seen.insert(candidate)
            ports[index].name = candidate
        }
        let type = image.flatMap(guess.fromImage) ?? guess.fromName(name) ?? guess.fromPort(usable[0].host?.preferred)
            ?? guess.fromPort(usable[0].target) ?? "api"
        let imageText = image.map { " (image \(ScaffoldText.quoted($0)))" } ?? ""
        let written = usable.map(\.written).joined(separator: ", ")
        return ServiceEvidence(origin: "\(label)\(imageText), ports \(written)", name: name, type: type, transport: transport, ports: ports,
                               command: nil, comments: notes, after: dependencies(fields).map { ServiceRef(file: "", name: $0) })
    }

    /// One `ports:` entry, short (`"127.0.0.1:8080:80/tcp"`) or long (`{ target: 80, published: 8080 }`).
    static func published(_ node: YAMLNode) -> Result<Published, ReadFailure> {
        switch node.kind {
        case .scalar(let text, _):
            return short(text)
        case .mapping(let pairs):
            let shown = ["host_ip", "published", "target", "protocol"]
            let written = "{" + pairs.compactMap { pair in
                guard let key = pair.key.scalarText, shown.contains(key), let text = pair.value.scalarText else { return nil }
                return "\(key): \(text)"
            }.joined(separator: ", ") + "}"
            guard let targetText = value(pairs, "target")?.scalarText, let target = port(targetText) else {
                return .failure(ReadFailure("\(written) (no container port number)"))
            }
            var host: CommandPorts.Value? = nil
            if let publishedText = value(pairs, "published")?.scalarText, !publishedText.isEmpty {
                guard let parsed = CommandPorts.value(of: publishedText) else {
                    return .failure(ReadFailure("\(written) (a published port init cannot read)"))
                }
                host = parsed
            }
            return .success(Published(host: host, target: target, hostIP: value(pairs, "host_ip")?.scalarText,
                                      transport: Transport(rawValue: (value(pairs, "protocol")?.scalarText ?? Transport.tcp.rawValue).lowercased()),
                                      name: value(pairs, "name")?.scalarText, written: written))
        case .sequence:
            return .failure(ReadFailure("a list inside `ports:`"))
        }
    }

    /// `[[HOST_IP:]HOST:]CONTAINER[/PROTOCOL]`; HOST may be a variable (`${API_PORT:-8000}`).
    static func short(_ text: String) -> Result<Published, ReadFailure> {
        let written = ScaffoldText.quoted(text)
        var rest = Substring(text)
        var transport = Transport.tcp as Transport?
        if let slash = rest.lastIndex(of: "/") {
            transport = Transport(rawValue: rest[rest.index(after: slash)...].lowercased())
            rest = rest[..<slash]
        }
        var hostIP: String? = nil
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else {
                return .failure(ReadFailure("\(written) (an address init cannot read)"))
            }
            hostIP = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(close, offsetBy: 2)...]
        }
        var parts = splitOutsideBraces(rest)
        if hostIP == nil, parts.count == 3 { hostIP = String(parts.removeFirst()) }
        guard (1...2).contains(parts.count), let last = parts.last, let target = port(String(last)) else {
            let reason = text.contains("-") && !text.contains("${") ? "port ranges are not supported" : "a form init cannot read"
            return .failure(ReadFailure("\(written) (\(reason))"))
        }
        var host: CommandPorts.Value? = nil
        if parts.count == 2, !parts[0].isEmpty {
            guard let parsed = CommandPorts.value(of: String(parts[0])) else {
                let reason = parts[0].contains("-") && !parts[0].contains("$") ? "port ranges are not supported" : "a host port init cannot read"
                return .failure(ReadFailure("\(written) (\(reason))"))
            }
            host = parsed
        }
        return .success(Published(host: host, target: target, hostIP: hostIP, transport: transport, name: nil, written: written))
    }

    struct ReadFailure: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// The services `depends_on` names, as a list or as the keys of its long syntax.
    static func dependencies(_ fields: [(key: YAMLNode, value: YAMLNode)]) -> [String] {
        switch value(fields, "depends_on")?.kind {
        case .sequence(let items): return items.compactMap(\.scalarText)
        case .mapping(let pairs): return pairs.compactMap(\.key.scalarText)
        default: return []
        }
    }

    // MARK: Helpers

    /// A service's keys with YAML merge keys (`<<: *defaults`) applied: its own keys win.
    static func merged(_ fields: [(key: YAMLNode, value: YAMLNode)]) -> [(key: YAMLNode, value: YAMLNode)] {
        var own = fields.filter { $0.key.scalarText != "<<" }
        guard let merge = value(fields, "<<") else { return own }
        let sources: [YAMLNode]
        if case .sequence(let items) = merge.kind { sources = items } else { sources = [merge] }
        for source in sources {
            guard case .mapping(let pairs) = source.kind else { continue }
            for pair in pairs where value(own, pair.key.scalarText ?? "") == nil { own.append(pair) }
        }
        return own
    }

    static func value(_ pairs: [(key: YAMLNode, value: YAMLNode)], _ key: String) -> YAMLNode? {
        pairs.first { $0.key.scalarText == key }?.value
    }

    private static func port(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 5, text.utf8.allSatisfy(ASCII.isDigit),
              let number = Int(text), (1...65535).contains(number) else { return nil }
        return number
    }

    /// Splits at `:` outside `${...}`, so `${API_PORT:-8000}:8000` is two parts.
    private static func splitOutsideBraces(_ text: Substring) -> [Substring] {
        var parts: [Substring] = []
        var depth = 0
        var start = text.startIndex
        for index in text.indices {
            switch text[index] {
            case "{": depth += 1
            case "}": depth = max(0, depth - 1)
            case ":" where depth == 0:
                parts.append(text[start..<index])
                start = text.index(after: index)
            default: break
            }
        }
        parts.append(text[start...])
        return parts
    }
}
