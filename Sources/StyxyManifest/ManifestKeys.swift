/// Every key `styxy.yaml` may hold, by the mapping it stands in, with what it means.
///
/// The loader allows exactly these names (anything else is "unknown key", with a "did you mean"
/// among them) and `ManifestSchema` describes exactly these, so an editor's completion and the
/// validator cannot disagree about which keys exist. The order is the order of the loader's
/// "allowed keys: ..." hints.
public struct ManifestKey: Sendable {
    public let name: String
    /// One or two sentences for an editor's hover: what the key does, its default, its limits.
    public let description: String

    init(_ name: String, _ description: String) {
        self.name = name
        self.description = description
    }
}

public enum ManifestKeys {
    public static let top: [ManifestKey] = [
        ManifestKey("project", "The project's display name, 1 to 100 printable characters. Default: the name of the folder holding styxy.yaml."),
        ManifestKey("services", "The project's services by name (lowercase letters, digits, '-' and '_', starting with a letter). Each gets a stable port that no other project on this machine holds."),
        ManifestKey("outputs", "The files Styxy writes after leasing: each renders a template to a path inside the project."),
    ]

    public static let service: [ManifestKey] = [
        ManifestKey("type", "A service type from the catalog (`styxy types` lists them): it gives the range and preferred ports. Required unless `range` is given."),
        ManifestKey("port", "The preferred port, taken when it is free; otherwise the type's preferred ports, then its range. 1-65535, below 1024 only with `allow_privileged`."),
        ManifestKey("range", "`[first, last]`: the ports this service's leases come from, instead of its type's range. 1024-65535 unless `allow_privileged`."),
        ManifestKey("env", "The variable name, or a list of names, that carry the port. Default: <SERVICE>_PORT. A name matches [A-Z_][A-Z0-9_]*, contains PORT and is not on the denylist (docs/manifest.md#variable-names)."),
        ManifestKey("command", "The command that starts the service: `styxy run SERVICE` and `styxy up` run it, the npm-scripts output writes it. A Mustache template: {{port}}, {{WEB_PORT}}, {{ports.ui}}. At most 4 KiB."),
        ManifestKey("compose", "The Docker Compose service and container port this port is published to, in the compose-override output."),
        ManifestKey("shared", "One machine-wide lease keyed by the service's name: every project gets the same port (an Ollama, a shared database). Default: false."),
        ManifestKey("protocol", "Which sockets confirm the port is free: tcp (the default) or udp."),
        ManifestKey("ports", "Several named ports for this service, one lease each; instead of `port`, `env` and `compose` on the service."),
        ManifestKey("allow_privileged", "Allow ports below 1024 in `port` and `range` (they need root to bind). Default: false."),
        ManifestKey("cwd", "The folder `command` runs in, relative to the manifest's folder and inside the project. Needs `command`. Default: the manifest's folder."),
        ManifestKey("after", "A service, or a list of services of this manifest, that must be ready before `styxy up` starts this one. No circles."),
        ManifestKey("ready", "How `styxy up` decides the service has started."),
    ]

    /// A named port under a service's `ports:`.
    public static let namedPort: [ManifestKey] = [
        ManifestKey("port", "The preferred port of this named port. 1-65535, below 1024 only with the service's `allow_privileged`."),
        ManifestKey("env", "The variable name, or a list of names, that carry this port. Default: <SERVICE>_<NAME>_PORT. A name matches [A-Z_][A-Z0-9_]*, contains PORT and is not on the denylist."),
        ManifestKey("compose", "The Docker Compose service and container port this port is published to."),
    ]

    public static let compose: [ManifestKey] = [
        ManifestKey("service", "The Compose service's name (letters, digits, '.', '_' and '-')."),
        ManifestKey("target", "The container port (1-65535) the leased host port is published to."),
        ManifestKey("host_ip", "Publish on this address only, an IPv4 or IPv6 address without brackets (as 127.0.0.1:5432:5432 does). Default: every address."),
    ]

    public static let output: [ManifestKey] = [
        ManifestKey("template", "A built-in template's name (`styxy template ls`), or a path containing '/' or '.' to a Mustache template of your own, relative to the manifest's folder."),
        ManifestKey("path", "Where the output is written, relative to the manifest's folder: inside the project, not in .git, not the manifest itself."),
    ]

    public static let ready: [ManifestKey] = [
        ManifestKey("timeout", "How long `styxy up` waits for the service to listen on its ports: a duration such as 30s, 1m30s or 500ms, at most 1h. `up --ready-timeout` replaces it for one run."),
    ]

    // The names alone, what the loader checks each mapping against.
    static let topNames = top.map(\.name)
    static let serviceNames = service.map(\.name)
    static let namedPortNames = namedPort.map(\.name)
    static let composeNames = compose.map(\.name)
    static let outputNames = output.map(\.name)
    static let readyNames = ready.map(\.name)
}
