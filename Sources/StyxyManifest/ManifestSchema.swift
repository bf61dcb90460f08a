import StyxyCore

/// The JSON Schema (draft 2020-12) of `styxy.yaml`, for editors: completion, hover text and
/// checks while the file is typed (`styxy schema`, `schemas/styxy.schema.json`).
///
/// It is built from what the loader itself uses: the key tables in `ManifestKeys`, the built-in
/// catalog's types, the built-in templates' names, the variable-name denylist and the loader's
/// limits. It says what the shape of a manifest allows; what needs the file system, the other
/// services or the user's configuration (a `cwd` that exists, a name listed in `after:` that is a
/// service, two services preferring one port, a type the configuration adds) stays with
/// `styxy validate`. So the schema never refuses a manifest that `validate` accepts, and
/// docs/schema.md lists what only `validate` sees.
public enum ManifestSchema {
    /// Where the schema of this release is published: the file `schemas/styxy.schema.json` of the
    /// release's tag. The schema's `$id` and the modeline `styxy init` writes name it.
    public static let url = "https://raw.githubusercontent.com/styxy/styxy/v\(StyxyRelease.version)/schemas/styxy.schema.json"

    /// The first line `styxy init` writes, which points yaml-language-server (VS Code, Neovim,
    /// Helix, JetBrains with the YAML plugin) at the schema.
    public static let modeline = "# yaml-language-server: $schema=\(url)"

    public static func document(catalog: Catalog, builtinTemplates: [String]) -> JSONValue {
        .object([
            ("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
            ("$id", .string(url)),
            ("title", .string("styxy.yaml")),
            ("description", .string("A project's services and the ports Styxy leases them (Styxy \(StyxyRelease.version)). `styxy validate` checks what a schema cannot: files, cross-references, your configuration.")),
            ("type", .string("object")),
            ("required", .array([.string("services")])),
            ("additionalProperties", .bool(false)),
            ("properties", properties(ManifestKeys.top) { key in
                switch key {
                case "project": return text([("minLength", .int(1)), ("maxLength", .int(100)), ("pattern", .string(#"^[^\u0000-\u001f\u007f]*$"#))])
                case "services": return .object([
                    ("type", .string("object")),
                    ("minProperties", .int(1)),
                    ("propertyNames", ref("name")),
                    ("additionalProperties", ref("service")),
                ])
                case "outputs": return .object([("type", .string("array")), ("items", ref("output"))])
                default: return nil
                }
            }),
            ("$defs", .object([
                ("service", service(catalog)),
                ("namedPort", .object([
                    ("type", .string("object")),
                    ("additionalProperties", .bool(false)),
                    ("properties", properties(ManifestKeys.namedPort, portFields)),
                ])),
                ("compose", compose()),
                ("output", output(builtinTemplates)),
                ("name", .object([
                    ("description", .string("Lowercase letters, digits, '-' and '_', starting with a letter, at most 63 characters.")),
                    ("type", .string("string")),
                    ("pattern", .string("^[a-z][a-z0-9_-]{0,62}$")),
                ])),
                ("port", .object([("type", .string("integer")), ("minimum", .int(1)), ("maximum", .int(65535))])),
                ("variable", variable()),
                ("variables", oneOrMore(ref("variable"))),
                ("duration", .object([
                    ("description", .string("A number with ms, s, m, h or d, parts added: 500ms, 30s, 1m30s.")),
                    ("type", .string("string")),
                    ("pattern", .string(#"^(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:ms|s|m|h|d))+$"#)),
                ])),
            ])),
        ])
    }

    // MARK: Parts

    static func service(_ catalog: Catalog) -> JSONValue {
        let typeChoices = catalog.sortedTypes.map { type in
            JSONValue.object([
                ("const", .string(type.name)),
                ("description", .string("\(type.description) (\(type.range.lowerBound)-\(type.range.upperBound))")),
            ])
        } + [.object([
            ("description", .string("A type your configuration adds (`styxy types` lists the types in force).")),
            ("$ref", .string("#/$defs/name")),
        ])]
        let privilegedOff = JSONValue.object([
            ("not", .object([
                ("required", .array([.string("allow_privileged")])),
                ("properties", .object([("allow_privileged", .object([("const", .bool(true))]))])),
            ])),
        ])
        let atLeast1024 = JSONValue.object([("minimum", .int(1024))])
        return .object([
            ("type", .string("object")),
            ("additionalProperties", .bool(false)),
            ("properties", properties(ManifestKeys.service) { key in
                switch key {
                case "type": return .object([("anyOf", .array(typeChoices))])
                case "range": return .object([
                    ("type", .string("array")), ("minItems", .int(2)), ("maxItems", .int(2)), ("items", ref("port")),
                ])
                case "command": return text([("maxLength", .int(ManifestBuilder.maximumCommandLength))])
                case "shared", "allow_privileged": return .object([("type", .string("boolean"))])
                case "protocol": return .object([("enum", .array(Transport.allCases.map { .string($0.rawValue) }))])
                case "ports": return .object([
                    ("type", .string("object")),
                    ("minProperties", .int(1)),
                    ("propertyNames", .object([("$ref", .string("#/$defs/name")), ("not", .object([("const", .string(NamedPort.defaultName))]))])),
                    ("additionalProperties", .object([("anyOf", .array([.object([("type", .string("null"))]), ref("namedPort")]))])),
                ])
                case "cwd": return relativePath(output: false)
                case "after": return oneOrMore(ref("name"))
                case "ready": return .object([
                    ("type", .string("object")),
                    ("additionalProperties", .bool(false)),
                    ("required", .array([.string("timeout")])),
                    ("properties", properties(ManifestKeys.ready) { _ in ref("duration") }),
                ])
                default: return portFields(key)
                }
            }),
            // A service needs a type or a range of its own.
            ("anyOf", .array([.object([("required", .array([.string("type")]))]), .object([("required", .array([.string("range")]))])])),
            ("dependentRequired", .object([("cwd", .array([.string("command")]))])),
            // Named ports replace the service's own port, env and compose.
            ("dependentSchemas", .object([
                ("ports", .object([("properties", .object(ManifestKeys.namedPortNames.map { ($0, .bool(false)) }))])),
            ])),
            // Ports below 1024 need allow_privileged: true, in port, range and the named ports.
            ("if", privilegedOff),
            ("then", .object([
                ("properties", .object([
                    ("port", atLeast1024),
                    ("range", .object([("items", atLeast1024)])),
                    ("ports", .object([("additionalProperties", .object([("properties", .object([("port", atLeast1024)]))]))])),
                ])),
            ])),
        ])
    }

    /// `port`, `env` and `compose`: a service's own, or a named port's.
    static func portFields(_ key: String) -> JSONValue? {
        switch key {
        case "port": return ref("port")
        case "env": return ref("variables")
        case "compose": return ref("compose")
        default: return nil
        }
    }

    static func compose() -> JSONValue {
        .object([
            ("type", .string("object")),
            ("additionalProperties", .bool(false)),
            ("required", .array([.string("service"), .string("target")])),
            ("properties", properties(ManifestKeys.compose) { key in
                switch key {
                case "service": return text([("pattern", .string("^[A-Za-z0-9][A-Za-z0-9._-]*$"))])
                case "target": return ref("port")
                case "host_ip": return .object([
                    ("type", .string("string")),
                    ("anyOf", .array([.object([("format", .string("ipv4"))]), .object([("format", .string("ipv6"))])])),
                ])
                default: return nil
                }
            }),
        ])
    }

    static func output(_ builtinTemplates: [String]) -> JSONValue {
        let templateChoices = builtinTemplates.map { name in
            JSONValue.object([
                ("const", .string(name)),
                ("description", .string("The built-in template \(name) (`styxy template show \(name)` prints it).")),
            ])
        } + [.object([
            ("description", .string("A template file of your own: a path containing '/' or '.', relative to the manifest's folder.")),
            ("type", .string("string")),
            ("pattern", .string("[./]")),
        ])]
        return .object([
            ("type", .string("object")),
            ("additionalProperties", .bool(false)),
            ("required", .array(ManifestKeys.outputNames.map(JSONValue.string))),
            ("properties", properties(ManifestKeys.output) { key in
                switch key {
                case "template": return .object([("anyOf", .array(templateChoices))])
                case "path": return relativePath(output: true)
                default: return nil
                }
            }),
        ])
    }

    /// A port variable's name: the syntax, PORT somewhere in it, and none of the denylist's names
    /// (`PortVariableName`'s lists, as `check` reads them).
    static func variable() -> JSONValue {
        let exact = words(PortVariableName.exactNames), prefixes = words(PortVariableName.prefixNames)
        let suffixes = words(PortVariableName.suffixNames)
        return .object([
            ("type", .string("string")),
            ("pattern", .string("^(?:PORT[A-Z0-9_]*|[A-Z_][A-Z0-9_]*PORT[A-Z0-9_]*)$")),
            ("not", .object([("anyOf", .array([
                .object([("enum", .array(exact.map(JSONValue.string)))]),
                .object([("pattern", .string("^(?:\(prefixes.joined(separator: "|")))"))]),
                .object([("pattern", .string("(?:\(suffixes.joined(separator: "|")))$"))]),
            ]))])),
        ])
    }

    // MARK: Helpers

    /// The schemas of `keys`, each with its description; `schema` gives the rest for each name.
    static func properties(_ keys: [ManifestKey], _ schema: (String) -> JSONValue?) -> JSONValue {
        .object(keys.map { key in
            guard case .object(let pairs)? = schema(key.name) else {
                preconditionFailure("ManifestSchema has no schema for the key '\(key.name)'")
            }
            return (key.name, .object([("description", .string(key.description))] + pairs))
        })
    }

    static func ref(_ name: String) -> JSONValue { .object([("$ref", .string("#/$defs/\(name)"))]) }

    /// One value or a non-empty list of distinct ones, as the loader's `strings` reads them.
    static func oneOrMore(_ item: JSONValue) -> JSONValue {
        .object([("anyOf", .array([
            item,
            .object([("type", .string("array")), ("minItems", .int(1)), ("uniqueItems", .bool(true)), ("items", item)]),
        ]))])
    }

    /// A value the loader reads as text: any scalar but null, since `project: 2024` or `path: 1`
    /// are plain YAML numbers that Styxy takes as the text they are written as. The limits apply
    /// to strings.
    static func text(_ limits: [(String, JSONValue)]) -> JSONValue {
        .object([("type", .array([.string("string"), .string("number"), .string("boolean")]))] + limits)
    }

    /// A path written relative to the manifest's folder, refused for what its text alone shows
    /// (as `relativeParts` reads it): absolute or from `~`, a NUL byte, longer than a file system
    /// takes, into `.git`; an output path also names a file, not a folder. Where `..` leads, and
    /// whether the path exists, is for `validate`.
    static func relativePath(output: Bool) -> JSONValue {
        let nameLimit = ManifestBuilder.maximumNameLength + 1
        let refused = [#"^[/~]"#, #"\u0000"#, "[^/]{\(nameLimit)}"] + (output
            ? [#"/$"#, #"^\.$"#, #"^(?:\.?/)*\.git(?:/|$)"#]
            : [#"(?:^|/)\.[gG][iI][tT](?:/|$)"#])
        return text([
            ("minLength", .int(1)),
            ("maxLength", .int(ManifestBuilder.maximumPathLength)),
            ("not", .object([("type", .string("string")), ("pattern", .string(refused.joined(separator: "|")))])),
        ])
    }

    static func words(_ list: StaticString) -> [String] {
        list.description.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }
}
