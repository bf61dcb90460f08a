import StyxyCore

extension LedgerCodec {
    /// A state the ledger cannot hold; nothing is written.
    public struct Unwritable: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The bytes of `state`, its numbers clamped into what `decode` accepts (see `LedgerCodec`).
    public static func encode(_ state: LedgerState) throws(Unwritable) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(max(300 * state.leases.count, state.source?.bytes.count ?? 0) + 128)
        out.append(ascii: "{\"format\":\"styxy-ledger\",\"schema_version\":")
        out.append(decimal: LedgerState.schemaVersion)
        out.append(ascii: ",\"generation\":")
        out.append(decimal: max(0, state.generation))
        out.append(ascii: ",\"leases\":[")
        let leases = state.leases
        let order = keyOrder(leases)
        var unchanged = LedgerSource.Cursor()
        for (index, position) in order.enumerated() {
            let lease = leases[position]
            if index > 0, leases[order[index - 1]].key == lease.key {
                throw Unwritable(description: "two leases share the key \(lease.key.service) of \(lease.key.root ?? "(shared)") [\(lease.key.instance)]")
            }
            // The ledger spells "shared" as an empty root; a project's would be read back as shared.
            if lease.key.root?.isEmpty == true {
                throw Unwritable(description: "lease \(lease.key.service) names an empty project root")
            }
            func check(_ port: Int) throws(Unwritable) {
                guard (1...65535).contains(port) else { throw Unwritable(description: "lease \(lease.key.service) names port \(port), outside 1-65535") }
            }
            try check(lease.port)
            if let preferred = lease.preferred { try check(preferred) }
            for port in lease.retiredPorts { try check(port) }
            if let source = state.source, let bytes = unchanged.bytes(of: lease, in: source) {
                out.append(ascii: index == 0 ? "\n" : ",\n")
                out.append(contentsOf: bytes)
                continue
            }
            out.append(ascii: index == 0 ? "\n{\"root\":" : ",\n{\"root\":")
            JSONValue.quote(lease.key.owner.ledgerRoot, into: &out)
            out.append(ascii: ",\"service\":")
            JSONValue.quote(lease.key.service, into: &out)
            out.append(ascii: ",\"port_name\":")
            JSONValue.quote(lease.key.portName, into: &out)
            out.append(ascii: ",\"instance\":")
            JSONValue.quote(lease.key.instance, into: &out)
            out.append(ascii: ",\"port\":")
            out.append(decimal: lease.port)
            out.append(ascii: ",\"protocol\":")
            JSONValue.quote(lease.transport.rawValue, into: &out)
            out.append(ascii: ",\"project\":")
            JSONValue.quote(lease.project, into: &out)
            out.append(ascii: ",\"manifest\":")
            JSONValue.quote(lease.manifest, into: &out)
            out.append(ascii: ",\"created_at\":")
            out.append(decimal: Timestamp.clamped(lease.createdAt))
            out.append(ascii: ",\"refreshed_at\":")
            out.append(decimal: Timestamp.clamped(lease.refreshedAt))
            out.append(ascii: ",\"expires_at\":")
            if let expiry = lease.expiresAt { out.append(decimal: Timestamp.clamped(expiry)) } else { out.append(ascii: "null") }
            out.append(ascii: ",\"ttl_seconds\":")
            if let ttl = lease.ttl { out.append(decimal: Lease.clampedTTL(ttl)) } else { out.append(ascii: "null") }
            if let preferred = lease.preferred {
                out.append(ascii: ",\"preferred\":")
                out.append(decimal: preferred)
            }
            if !lease.retiredPorts.isEmpty {
                out.append(ascii: ",\"retired_ports\":[")
                for (position, port) in lease.retiredPorts.enumerated() {
                    if position > 0 { out.append(0x2C) }
                    out.append(decimal: port)
                }
                out.append(0x5D)
            }
            out.append(0x7D)
        }
        out.append(ascii: "\n]}\n")
        return out
    }

    /// Positions of `leases` in key order, the order the ledger is written in. Sorting positions
    /// rather than leases spares moving (and retaining) every lease's strings; and a state read
    /// from the ledger is in key order already but for the leases a plan added at its end, so the
    /// sorted run at the front is found in one pass and only the rest is sorted and merged in.
    static func keyOrder(_ leases: [Lease]) -> [Int] {
        var run = min(1, leases.count)
        while run < leases.count, leases[run - 1].key < leases[run].key { run += 1 }
        let rest = (run..<leases.count).sorted { leases[$0].key < leases[$1].key }
        if rest.isEmpty { return Array(leases.indices) }
        var order: [Int] = []
        order.reserveCapacity(leases.count)
        var front = 0, back = 0
        while front < run || back < rest.count {
            if back == rest.count || (front < run && !(leases[rest[back]].key < leases[front].key)) {
                order.append(front)
                front += 1
            } else {
                order.append(rest[back])
                back += 1
            }
        }
        return order
    }
}
