/// The transport a port is leased for. One type for the manifest's `protocol:`, the probe's
/// socket tables, the ledger's `protocol` field and the render context's `compose.protocol`; the
/// raw values are those spellings, so every format keeps its bytes.
public enum Transport: String, Sendable, Hashable, CaseIterable, Encodable {
    case tcp, udp

    /// What Compose's short syntax writes after a port for it: nothing for TCP, its default;
    /// `/udp` for UDP (`8125:8125/udp`).
    public var composeSuffix: String { self == .tcp ? "" : "/" + rawValue }
}
