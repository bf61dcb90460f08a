import StyxyCore

/// The JSON document of `lease ls --json` and `lease release --json`, written straight to bytes.
///
/// It is byte for byte what `JSONValue.object([("format_version", .int(1)), ("styxy_version", .string(StyxyRelease.version)),
/// (name, .array(leases.map(\.json)))]).bytes()`
/// prints (the tests hold it to that): at 10,000 leases, building that tree of values, formatting
/// times into strings and freeing it all again was most of what `lease ls --json` spent.
public enum LeaseListing {
    public static func bytes(_ leases: [Lease], under name: StaticString) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(480 * leases.count + 64)
        out.append(ascii: "{\n  \"format_version\": 1,\n  \"styxy_version\": ")
        JSONValue.quote(StyxyRelease.version, into: &out)
        out.append(ascii: ",\n  \"")
        out.append(ascii: name)
        out.append(ascii: "\": [")
        if leases.isEmpty {
            out.removeLast()
            out.append(ascii: "[]\n}\n")
            return out
        }
        for (index, lease) in leases.enumerated() {
            out.append(ascii: index == 0 ? "\n    {" : ",\n    {")
            append(lease, to: &out)
            out.append(ascii: "\n    }")
        }
        out.append(ascii: "\n  ]\n}\n")
        return out
    }

    /// One lease's members, in the order of `Lease.json`, at the depth a listing puts them. Each
    /// literal holds the separator, the indent and the name, so a member costs one append of them.
    private static func append(_ lease: Lease, to out: inout [UInt8]) {
        func time(_ seconds: Int64) {
            out.append(0x22)
            Timestamp.append(seconds, to: &out)
            out.append(0x22)
        }
        out.append(ascii: "\n      \"project\": ")
        JSONValue.quote(lease.project, into: &out)
        out.append(ascii: ",\n      \"root\": ")
        JSONValue.quote(lease.key.owner.ledgerRoot, into: &out)
        out.append(ascii: ",\n      \"manifest\": ")
        JSONValue.quote(lease.manifest, into: &out)
        out.append(ascii: ",\n      \"service\": ")
        JSONValue.quote(lease.key.service, into: &out)
        out.append(ascii: ",\n      \"port_name\": ")
        JSONValue.quote(lease.key.portName, into: &out)
        out.append(ascii: ",\n      \"instance\": ")
        JSONValue.quote(lease.key.instance, into: &out)
        out.append(ascii: ",\n      \"port\": ")
        out.append(decimal: lease.port)
        switch lease.transport {
        case .tcp: out.append(ascii: ",\n      \"protocol\": \"tcp\"")
        case .udp: out.append(ascii: ",\n      \"protocol\": \"udp\"")
        }
        out.append(ascii: lease.isShared ? ",\n      \"shared\": true,\n      \"created_at\": " : ",\n      \"shared\": false,\n      \"created_at\": ")
        time(lease.createdAt)
        out.append(ascii: ",\n      \"refreshed_at\": ")
        time(lease.refreshedAt)
        out.append(ascii: ",\n      \"expires_at\": ")
        if let expiry = lease.expiresAt { time(expiry) } else { out.append(ascii: "null") }
        out.append(ascii: ",\n      \"ttl_seconds\": ")
        if let ttl = lease.ttl { out.append(decimal: Int(ttl)) } else { out.append(ascii: "null") }
        guard !lease.retiredPorts.isEmpty else { return }
        out.append(ascii: ",\n      \"retired_ports\": [")
        for (index, port) in lease.retiredPorts.enumerated() {
            out.append(ascii: index == 0 ? "\n        " : ",\n        ")
            out.append(decimal: port)
        }
        out.append(ascii: "\n      ]")
    }
}
