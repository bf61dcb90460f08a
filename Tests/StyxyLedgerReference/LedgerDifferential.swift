import StyxyCore
import StyxyEngine

/// One input through both ledger readers and, when it reads, through the writer and back: every
/// way the fast codec can part from the plain rules of `ReferenceLedger`, as sentences. Empty
/// when they agree.
public enum LedgerDifferential {
    public static func disagreements(_ bytes: [UInt8]) -> [String] {
        let fast = fastOutcome(bytes, focus: nil)
        let reference = ReferenceLedger.decode(bytes)
        guard same(fast, reference) else {
            return ["the readers disagree: fast \(describe(fast)), reference \(describe(reference))"]
        }
        guard case .state(let state) = fast else { return [] }
        var found: [String] = []
        // A focused read equals the full read narrowed, in both readers.
        let roots = state.leases.compactMap(\.key.root).prefix(2) + ["/not-in-the-ledger"]
        for root in roots {
            let narrowed = ReferenceLedger.Outcome.state(LedgerState(generation: state.generation, leases: state.leases.filter {
                $0.key.root.map { $0.utf8.elementsEqual(root.utf8) } ?? true
            }))
            let focusedFast = fastOutcome(bytes, focus: root), focusedReference = ReferenceLedger.decode(bytes, focus: root)
            if !same(focusedFast, narrowed) || !same(focusedReference, narrowed) {
                found.append("reading only \(root.debugDescription): fast \(describe(focusedFast)), reference \(describe(focusedReference))")
            }
        }
        return found + roundTrip(state)
    }

    /// What the writer makes of `state` reads back, in both readers, as `state` in the writer's
    /// order (key bytes: root, instance, service, port name), and writes the same bytes again.
    public static func roundTrip(_ state: LedgerState) -> [String] {
        let written: [UInt8]
        do {
            written = try LedgerCodec.encode(state)
        } catch {
            return ["the writer refused a state a reader returned: \(error)"]
        }
        let expected = ReferenceLedger.Outcome.state(LedgerState(generation: state.generation, leases: writerOrder(state.leases)))
        let fast = fastOutcome(written, focus: nil), reference = ReferenceLedger.decode(written)
        var found: [String] = []
        if !same(fast, expected) { found.append("written and read back (fast): \(describe(fast)), expected \(describe(expected))") }
        if !same(reference, expected) { found.append("written and read back (reference): \(describe(reference))") }
        if case .state(let again) = fast, (try? LedgerCodec.encode(again)) != written {
            found.append("writing what was read gives other bytes")
        }
        return found
    }

    public static func fastOutcome(_ bytes: [UInt8], focus: String?) -> ReferenceLedger.Outcome {
        do {
            return .state(try LedgerCodec.decode(bytes, focus: focus))
        } catch {
            switch error {
            case .damaged: return .damaged
            case .newer(let version): return .newer(version)
            }
        }
    }

    /// Equal to the byte: `Lease`'s own `==` compares strings as Swift does (`é` and `e` + U+0301 alike).
    public static func same(_ a: ReferenceLedger.Outcome, _ b: ReferenceLedger.Outcome) -> Bool {
        switch (a, b) {
        case (.damaged, .damaged): return true
        case let (.newer(x), .newer(y)): return x == y
        case let (.state(x), .state(y)):
            return x.generation == y.generation && x.leases.count == y.leases.count && zip(x.leases, y.leases).allSatisfy { fields($0) == fields($1) }
        default: return false
        }
    }

    private static func fields(_ lease: Lease) -> [[UInt8]] {
        let texts = [lease.key.owner.ledgerRoot, lease.key.service, lease.key.portName, lease.key.instance, lease.project, lease.manifest,
                     lease.transport.rawValue]
        let numbers = [Int64(lease.port), lease.createdAt, lease.refreshedAt, lease.expiresAt ?? -1, lease.ttl ?? -1, Int64(lease.preferred ?? -1)]
            + lease.retiredPorts.map(Int64.init)
        return texts.map { Array($0.utf8) } + [numbers.flatMap { Array("\($0),".utf8) }]
    }

    private static func writerOrder(_ leases: [Lease]) -> [Lease] {
        func parts(_ lease: Lease) -> [[UInt8]] {
            [lease.key.owner.ledgerRoot, lease.key.instance, lease.key.service, lease.key.portName].map { Array($0.utf8) }
        }
        return leases.sorted { a, b in
            for (x, y) in zip(parts(a), parts(b)) where x != y { return x.lexicographicallyPrecedes(y) }
            return false
        }
    }

    public static func describe(_ outcome: ReferenceLedger.Outcome) -> String {
        switch outcome {
        case .damaged: "damaged"
        case .newer(let version): "newer (\(version))"
        case .state(let state): "a ledger of generation \(state.generation) with \(state.leases.count) leases \(state.leases.map { "\($0.key.service.debugDescription):\($0.port)" })"
        }
    }
}
