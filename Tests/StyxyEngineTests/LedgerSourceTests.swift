import Foundation
import StyxyCore
@testable import StyxyEngine
import StyxyLedgerReference
import Testing

/// A write copies the bytes of every lease that did not change since the ledger was read
/// (`LedgerSource`); the file must be exactly what encoding every lease afresh would give, for
/// ledgers as Styxy writes them and as people, older versions and the differential's generator
/// leave them.
@Suite("Writing back unchanged leases")
struct LedgerSourceTests {
    /// The bytes with every lease encoded afresh: the state without the file it came from.
    static func afresh(_ state: LedgerState) throws -> [UInt8] {
        try LedgerCodec.encode(LedgerState(generation: state.generation, leases: state.leases))
    }

    /// The same state changed as a plan changes one: a lease dropped, one renewed, one added.
    static func changed(_ state: LedgerState) -> LedgerState {
        var next = state
        if !next.leases.isEmpty { next.leases.removeFirst() }
        if let last = next.leases.indices.last { next.leases[last].refreshedAt += 60 }
        next.leases.append(Lease(key: LeaseKey(root: "/zz/new", service: "web", portName: "default", instance: "default"),
                                 project: "new", manifest: "/zz/new/styxy.yaml", port: 3000, createdAt: 5, refreshedAt: 5))
        return next
    }

    /// Whether the writer escapes some of the lease's text; such leases are simply encoded again.
    static func needsEscapes(_ lease: Lease) -> Bool {
        [lease.key.owner.ledgerRoot, lease.key.service, lease.key.portName, lease.key.instance, lease.project, lease.manifest]
            .contains { text in text.unicodeScalars.contains { $0 == "\"" || $0 == "\\" || $0.value < 0x20 || $0 == "\u{2028}" || $0 == "\u{2029}" } }
    }

    @Test func seededLedgersWriteBackAsIfEncodedAfresh() throws {
        var samples = LedgerSamples(seed: LedgerDifferentialTests.seed)
        var read = 0
        for _ in 0..<1500 {
            let ledger = samples.ledger()
            for input in [ledger, samples.mutated(ledger)] {
                guard let state = try? LedgerCodec.decode(input) else { continue }
                read += 1
                #expect(try LedgerCodec.encode(state) == (try Self.afresh(state)), "\(String(decoding: input, as: UTF8.self).debugDescription)")
                let next = Self.changed(state)
                guard Set(next.leases.map(\.key)).count == next.leases.count else { continue }
                #expect(try LedgerCodec.encode(next) == (try Self.afresh(next)))
            }
        }
        #expect(read > 500, "enough of the generator's ledgers read to say something")
    }

    @Test func everyLeaseStyxyWroteIsCopiedBackAndChangesAreNot() throws {
        var samples = LedgerSamples(seed: LedgerDifferentialTests.seed)
        var copied = 0
        for _ in 0..<500 {
            let written = try LedgerCodec.encode(samples.state())
            let state = try LedgerCodec.decode(written)
            let source = try #require(state.source)
            for (lease, span) in zip(source.leases, source.spans) where !Self.needsEscapes(lease) {
                #expect(span != nil, "the writer's own layout is recognised: \(lease)")
                copied += 1
            }
            #expect(try LedgerCodec.encode(state) == (try Self.afresh(state)))
            let next = Self.changed(state)
            if Set(next.leases.map(\.key)).count == next.leases.count {
                #expect(try LedgerCodec.encode(next) == (try Self.afresh(next)))
            }
        }
        #expect(copied > 20, "enough escape-free leases among the generated ones")
    }

    @Test func leasesNotAsTheWriterWritesThemAreEncodedAgain() throws {
        let lease = #"{"root":"/a","service":"web","port_name":"default","instance":"default","port":3000,"protocol":"tcp","project":"a","manifest":"/a/styxy.yaml","created_at":1,"refreshed_at":2,"expires_at":null,"ttl_seconds":null}"#
        let variants = [
            lease,
            lease.replacingOccurrences(of: #""port":3000,"#, with: #""port": 3000,"#),
            lease.replacingOccurrences(of: #""created_at":1"#, with: #""created_at":"1970-01-01T00:00:01Z""#),
            lease.replacingOccurrences(of: #""expires_at":null"#, with: #""expires_at":999999999999"#),
            lease.replacingOccurrences(of: #""ttl_seconds":null"#, with: #""ttl_seconds":99999999999"#),
            lease.replacingOccurrences(of: #""project":"a""#, with: "\"project\":\"a\u{2028}b\""),
            lease.replacingOccurrences(of: #""project":"a""#, with: #""project":"\u0061""#),
            lease.replacingOccurrences(of: #""protocol":"tcp","#, with: ""),
            lease.replacingOccurrences(of: #""created_at":1"#, with: #""created_at":-0"#),
            lease.replacingOccurrences(of: #""ttl_seconds":null"#, with: #""ttl_seconds":null,"note":"hand-made""#),
        ]
        for (index, variant) in variants.enumerated() {
            let bytes = Array(#"{"format":"styxy-ledger","schema_version":1,"generation":3,"leases":["#.utf8) + Array(variant.utf8) + Array("]}".utf8)
            let state = try LedgerCodec.decode(bytes)
            let span = try #require(state.source?.spans.first)
            #expect((span != nil) == (index == 0), "variant \(index): \(variant)")
            #expect(try LedgerCodec.encode(state) == (try Self.afresh(state)), "variant \(index)")
        }
    }
}
