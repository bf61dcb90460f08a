import StyxyCore

// The dictionaries below are the template-facing contract (docs/templates.md). Two rules hold
// everywhere, so templates need no exceptions:
// - every string field `x` comes with `x_json`, `x_shell`, `x_dotenv` and `x_yaml`, each a complete
//   quoted literal for that format (`x_json` is `null` when `x` is absent);
// - every element of every list carries `first`, `last` and `index`, for separators.
// A field that can be absent is present as `.null`: lookup then stops there instead of reaching
// outer scopes, so a service without a command never picks up some outer `command`.

extension RenderContext {
    var mustacheValue: TemplateValue {
        var value: [String: TemplateValue] = [:]
        MustacheValue.addString("project", project, to: &value)
        MustacheValue.addString("root", root, to: &value)
        MustacheValue.addString("instance", instance, to: &value)
        MustacheValue.addString("manifest", manifest, to: &value)
        MustacheValue.addString("compose_project", composeProject, to: &value)
        value["has_compose_project"] = .bool(composeProject != nil)

        let services = self.services.sorted { $0.name < $1.name }
        value["services"] = MustacheValue.listed(services.map(\.fields))
        value["has_services"] = .bool(!services.isEmpty)

        let withCommand = services.filter { $0.command != nil }
        value["command_services"] = MustacheValue.listed(withCommand.map(\.fields))
        value["has_command_services"] = .bool(!withCommand.isEmpty)

        let compose = Self.composeServices(services)
        value["compose_services"] = MustacheValue.listed(compose)
        value["has_compose_services"] = .bool(!compose.isEmpty)

        let variables = Self.variableEntries(services)
        value["variables"] = MustacheValue.listed(variables)
        value["has_variables"] = .bool(!variables.isEmpty)
        return .object(value)
    }

    private static func variableEntries(_ services: [ServiceContext]) -> [[String: TemplateValue]] {
        var entries: [(sortKey: String, port: Int, value: [String: TemplateValue])] = []
        for service in services {
            for port in service.ports {
                for name in port.env {
                    var entry: [String: TemplateValue] = ["value": .number(port.port)]
                    MustacheValue.addString("name", name, to: &entry)
                    MustacheValue.addString("service", service.name, to: &entry)
                    MustacheValue.addString("port_name", port.name, to: &entry)
                    entries.append((name, port.port, entry))
                }
            }
        }
        return entries.sorted { ($0.sortKey, $0.port) < ($1.sortKey, $1.port) }.map(\.value)
    }

    /// One entry per Compose service, holding every host port published to it: two Styxy ports
    /// aimed at one Compose service must share one `ports: !override` list, or the YAML key repeats.
    private static func composeServices(_ services: [ServiceContext]) -> [[String: TemplateValue]] {
        var groups: [String: [[String: TemplateValue]]] = [:]
        for service in services {
            for port in service.ports {
                guard let compose = port.compose else { continue }
                var mapping: [String: TemplateValue] = ["host": .number(port.port), "target": .number(compose.target)]
                MustacheValue.addString("host_ip", compose.hostIP, to: &mapping)
                MustacheValue.addString("protocol", compose.transport.rawValue, to: &mapping)
                MustacheValue.addString("published", compose.published(host: port.port), to: &mapping)
                MustacheValue.addString("service", service.name, to: &mapping)
                MustacheValue.addString("port_name", port.name, to: &mapping)
                groups[compose.service, default: []].append(mapping)
            }
        }
        return groups.sorted { $0.key < $1.key }.map { name, mappings in
            var entry: [String: TemplateValue] = ["ports": MustacheValue.listed(mappings)]
            MustacheValue.addString("service", name, to: &entry)
            return entry
        }
    }

    /// A context with every optional field filled and every list non-empty: the shape strict
    /// validation checks templates against, built by the same code that builds real contexts.
    static let schemaSample = RenderContext(
        project: "p", root: "/r", instance: "i", manifest: "styxy.yaml",
        services: [
            ServiceContext(
                name: "s", type: "t",
                ports: [
                    NamedPortContext(name: "a", port: 1, env: ["A"], compose: ComposeContext(service: "c", target: 2, hostIP: "127.0.0.1"))
                ],
                command: "c", shared: false, cwd: "d", after: ["s"], readyTimeout: 1)
        ])

    static let schema = Shape.infer(schemaSample.mustacheValue)
}

extension ServiceContext {
    var fields: [String: TemplateValue] {
        var value: [String: TemplateValue] = [
            "port": .number(port),
            "env": MustacheValue.names(env),
            "ports": MustacheValue.listed(ports.map(\.fields)),
            "has_command": .bool(command != nil),
            "compose": compose.map(\.value) ?? .null,
            "has_compose": .bool(compose != nil),
            "shared": .bool(shared),
            "after": MustacheValue.names(after),
            "has_after": .bool(!after.isEmpty),
            "ready_timeout": .text(readyTimeout.map { $0 == $0.rounded() ? String(Int($0)) : String($0) } ?? "null"),
        ]
        MustacheValue.addString("cwd", cwd, to: &value)
        MustacheValue.addString("name", name, to: &value)
        MustacheValue.addString("type", type, to: &value)
        MustacheValue.addString("command", command, to: &value)
        return value
    }
}

extension NamedPortContext {
    var fields: [String: TemplateValue] {
        var value: [String: TemplateValue] = [
            "port": .number(port),
            "env": MustacheValue.names(env),
            "compose": compose.map(\.value) ?? .null,
            "has_compose": .bool(compose != nil),
        ]
        MustacheValue.addString("name", name, to: &value)
        return value
    }
}

extension ComposeContext {
    var value: TemplateValue {
        var value: [String: TemplateValue] = ["target": .number(target)]
        MustacheValue.addString("service", service, to: &value)
        MustacheValue.addString("host_ip", hostIP, to: &value)
        MustacheValue.addString("protocol", transport.rawValue, to: &value)
        return .object(value)
    }
}

enum MustacheValue {
    static let quotedForms: [(suffix: String, quote: @Sendable (String) -> String)] = [
        ("json", Quoting.json), ("shell", Quoting.shell), ("dotenv", Quoting.dotenv), ("yaml", Quoting.yaml),
    ]

    /// `key` and its quoted forms. An absent string is null in every form except `_json`, which is
    /// the literal `null`: a JSON template can write `"key": {{key_json}}` whether or not it is set.
    static func addString(_ key: String, _ string: String?, to value: inout [String: TemplateValue]) {
        value[key] = string.map(TemplateValue.text) ?? .null
        for form in quotedForms {
            value["\(key)_\(form.suffix)"] = string.map { .text(form.quote($0)) } ?? (form.suffix == "json" ? .text("null") : .null)
        }
    }

    /// Variable names as objects (`{{#env}}{{name}}{{^last}}, {{/last}}{{/env}}`), not bare
    /// strings, so they carry `first`/`last` and quoted forms like every other list.
    static func names(_ names: [String]) -> TemplateValue {
        listed(names.map { name in
            var value: [String: TemplateValue] = [:]
            addString("name", name, to: &value)
            return value
        })
    }

    static func listed(_ items: [[String: TemplateValue]]) -> TemplateValue {
        .list(items.enumerated().map { index, item in
            var item = item
            item["index"] = .number(index)
            item["first"] = .bool(index == 0)
            item["last"] = .bool(index == items.count - 1)
            return .object(item)
        })
    }
}
