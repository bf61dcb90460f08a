/// How messages, tables and findings name one port of one service: `web` for a service with a
/// single port, `emulators.ui` for a named port. Equal labels name the same port, so a label is
/// also the key for looking a port up (no `"service/port"` strings to assemble and split).
public struct PortLabel: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The name of the only port of a service written with `port:` rather than `ports:`. A
    /// manifest cannot give a named port this name, so the short form is never ambiguous.
    public static let defaultPortName = "default"
    /// The instance a command uses without `--instance`; the render layer needs it too (a
    /// default instance's Compose project keeps Compose's own name), so it lives below both.
    public static let defaultInstance = "default"

    public var service: String
    public var port: String

    public init(service: String, port: String = PortLabel.defaultPortName) {
        self.service = service
        self.port = port
    }

    public var description: String {
        port == Self.defaultPortName ? service : "\(service).\(port)"
    }

    /// By service, then port name: the order reports list ports in.
    public static func < (a: PortLabel, b: PortLabel) -> Bool {
        (a.service, a.port) < (b.service, b.port)
    }
}
