/// Which live lease holds each port, for choosing new ones. A plan builds this from every lease
/// in the ledger (10,000 on a busy machine) to look up a few hundred candidates, so it is a table
/// indexed by port that points into the lease arrays it was given, instead of a dictionary holding
/// a copy of each lease: no hashing, and no per-lease copy to retain and free.
struct HeldPorts {
    /// The arrays leases were added from; a slot names one lease of one of them. The first holds
    /// the leases set one by one (the ports a plan hands out).
    private var groups: [[Lease]] = [[]]
    /// For each port, its holder as `group << 24 | index`, plus one; 0 when no lease holds it.
    private var slots = [UInt32](repeating: 0, count: 65536)

    /// Adds the live leases of `leases`. A port held by two (which the ledger never records)
    /// goes to the later one, as assigning into a dictionary would.
    mutating func add(liveOf leases: [Lease], at now: Int64) {
        let group = UInt32(groups.count)
        precondition(group < 256 && leases.count < 1 << 24, "more leases than a slot can name")
        groups.append(leases)
        leases.withUnsafeBufferPointer { leases in
            for index in leases.indices {
                if let expiry = leases[index].expiresAt, expiry <= now { continue }  // `Lease.isExpired`
                let slot = group << 24 | UInt32(index) + 1
                slots[leases[index].port] = slot
                for port in leases[index].retiredPorts { slots[port] = slot }
            }
        }
    }

    /// The lease holding `port`; setting one makes it the holder of that port alone.
    subscript(port: Int) -> Lease? {
        get {
            guard slots.indices.contains(port), slots[port] != 0 else { return nil }
            let slot = slots[port] - 1
            return groups[Int(slot >> 24)][Int(slot & 0xFF_FFFF)]
        }
        set {
            guard let lease = newValue else {
                slots[port] = 0
                return
            }
            groups[0].append(lease)
            slots[port] = UInt32(groups[0].count)  // group 0, the last index, plus one
        }
    }

    /// Every lease that holds a port now.
    var holders: [Lease] {
        Set(slots.lazy.filter { $0 != 0 }).map { slot in groups[Int((slot - 1) >> 24)][Int((slot - 1) & 0xFF_FFFF)] }
    }
}
