/// Evidence from different files that describes one service, made one: a Procfile process
/// that starts the same server as a package.json script, and a Compose service whose published
/// port is already a variable of a service found elsewhere.
enum EvidenceJoin {
    static func apply(_ evidence: [ServiceEvidence]) -> [ServiceEvidence] {
        compose(sameServer(evidence))
    }

    /// `web: python manage.py runserver` in the Procfile and `"serve": "python manage.py runserver"`
    /// in package.json start one server: the first file's service stays, the later one is named in
    /// a comment. Only when the later one's ports are all the earlier one's, with no other wish.
    static func sameServer(_ evidence: [ServiceEvidence]) -> [ServiceEvidence] {
        var services: [ServiceEvidence] = []
        for found in evidence {
            if let identity = found.identity, let index = services.firstIndex(where: { kept in
                kept.file != found.file && kept.identity == identity && found.ports.allSatisfy { port in
                    kept.ports.contains { $0.name == port.name && ($0.preferred == nil || port.preferred == nil || $0.preferred == port.preferred) }
                }
            }) {
                services[index].comments.append("\(found.origin) starts the same server")
                services[index].aliases.append(ServiceRef(file: found.file, name: found.name))
                for port in found.ports {
                    guard let mine = services[index].ports.firstIndex(where: { $0.name == port.name }) else { continue }
                    for variable in port.variables where !services[index].ports[mine].variables.contains(variable) {
                        services[index].ports[mine].variables.append(variable)
                    }
                }
            } else {
                services.append(found)
            }
        }
        return services
    }

    /// `"${API_PORT:-4000}:4000"` beside a package.json `api` script is that service, run in a
    /// container: it joins it (the port gains `compose:`) instead of becoming a second service.
    static func compose(_ evidence: [ServiceEvidence]) -> [ServiceEvidence] {
        var services = evidence
        var index = 0
        while index < services.count {
            let candidate = services[index]
            guard candidate.ports.count == 1, let compose = candidate.ports[0].compose, let variable = candidate.ports[0].variables.first,
                  candidate.transport == .tcp,
                  let (owner, portIndex) = self.owner(of: variable, in: services, besides: index)
            else {
                index += 1
                continue
            }
            if let portIndex {
                var port = services[owner].ports[portIndex]
                port.compose = compose
                if !port.variables.contains(variable) { port.variables.append(variable) }
                if port.preferred == nil { port.preferred = candidate.ports[0].preferred }
                services[owner].ports[portIndex] = port
            } else {
                services[owner].ports.insert(PortEvidence(name: "main", preferred: candidate.ports[0].preferred, variables: [variable], compose: compose), at: 0)
            }
            services[owner].comments.append("also \(candidate.origin), which reads its host port from \(variable): joined here, so the compose-override output publishes this port")
            services[owner].comments += candidate.comments
            services[owner].after += candidate.after
            services[owner].aliases.append(ServiceRef(file: candidate.file, name: candidate.name))
            services.remove(at: index)
        }
        return services
    }

    /// The service (not from Compose) and its port that already use `variable`: one the project
    /// names (`PORT=$API_PORT`), or the one Styxy would name so (`API_PORT` for a service `api`,
    /// also for its `main` port when it has several). A nil port: the service has only named
    /// ports, none its main one (`api` with a debugger port alone), and `variable` is its name's,
    /// so the Compose port becomes its `main` port.
    private static func owner(of variable: String, in services: [ServiceEvidence], besides skipped: Int) -> (Int, Int?)? {
        for (serviceIndex, service) in services.enumerated() where serviceIndex != skipped && service.transport == .tcp {
            guard service.ports.allSatisfy({ $0.compose == nil }) else { continue }
            let stem = ScaffoldNames.envStem(ScaffoldNames.serviceName(service.name))
            for (portIndex, port) in service.ports.enumerated() {
                let defaults = port.name.map { $0 == "main" ? ["\(stem)_PORT", "\(stem)_MAIN_PORT"] : ["\(stem)_\(ScaffoldNames.envStem($0))_PORT"] } ?? ["\(stem)_PORT"]
                if port.variables.contains(variable) || defaults.contains(variable) { return (serviceIndex, portIndex) }
            }
            if variable == "\(stem)_PORT", !service.ports.contains(where: { $0.name == nil || $0.name == "main" }) { return (serviceIndex, nil) }
        }
        return nil
    }
}
