import Foundation
import StyxyEngine
import StyxyLedgerReference
import Testing

/// The ledger codec's fast reader against the plain reference reader (`ReferenceLedger`), and the
/// writer against both, on a few thousand seeded ledgers and mutations of them: the same property
/// `fuzz/Sources/LedgerFuzzer` holds for as long as it runs, here in a few seconds of every
/// `swift test`. STYXY_LEDGER_SEED=N runs another seed (docs/fuzzing.md).
@Suite("Ledger codec against the reference reader")
struct LedgerDifferentialTests {
    static let seed = ProcessInfo.processInfo.environment["STYXY_LEDGER_SEED"].flatMap { UInt64($0) } ?? 13

    @Test func readersAgreeOnSeededLedgersAndTheirMutations() {
        var samples = LedgerSamples(seed: Self.seed)
        var outcomes: [String: Int] = [:]
        var reported = 0
        for round in 0..<1500 {
            let ledger = samples.ledger()
            var inputs = [ledger]
            for _ in 0..<3 { inputs.append(samples.mutated(ledger)) }
            for input in inputs {
                let found = LedgerDifferential.disagreements(input)
                outcomes[kind(LedgerDifferential.fastOutcome(input, focus: nil)), default: 0] += 1
                guard !found.isEmpty, reported < 5 else { continue }
                reported += 1
                Issue.record("seed \(Self.seed), round \(round): \(found.joined(separator: "; "))\ninput: \(String(decoding: input, as: UTF8.self).debugDescription)")
            }
        }
        // The inputs reach every outcome, or the agreement says little.
        #expect(outcomes["state", default: 0] > 600 && outcomes["damaged", default: 0] > 600 && outcomes["newer", default: 0] > 20, "\(outcomes)")
    }

    @Test func whatTheWriterWritesBothReadersReadBack() {
        var samples = LedgerSamples(seed: Self.seed)
        for round in 0..<1000 {
            let found = LedgerDifferential.roundTrip(samples.state())
            #expect(found.isEmpty, "seed \(Self.seed), round \(round): \(found)")
            if !found.isEmpty { break }
        }
    }

    private func kind(_ outcome: ReferenceLedger.Outcome) -> String {
        switch outcome {
        case .state: "state"
        case .damaged: "damaged"
        case .newer: "newer"
        }
    }
}

/// What the differential found in LedgerCodec when it was first run (docs/fuzzing.md, finding 8),
/// each held to the outcome the rules give, in both readers.
@Suite("Ledger differential findings")
struct LedgerDifferentialFindingsTests {
    static func ledger(_ members: String, leases: String = "") -> [UInt8] {
        Array(#"{"format":"styxy-ledger","schema_version":1,"generation":1,\#(members)"leases":[\#(leases)]}"#.utf8)
    }

    static let lease = #"{"root":"/p","service":"web","port_name":"default","instance":"default","port":3000,"created_at":1,"refreshed_at":1}"#

    static let damaged: [(String, [UInt8])] = [
        // The codec said "newer" as soon as it met the version, before the rest was read as JSON.
        ("a newer version in a file that is not JSON", Array(#"{"format":"styxy-ledger","schema_version":2,"leases":-00,"generation":1}"#.utf8)),
        ("a newer version with data after the object", Array(#"{"format":"styxy-ledger","schema_version":2,"generation":1,"leases":[]} x"#.utf8)),
        // It took raw control characters in strings, and any text `Double` reads in unknown fields.
        ("a raw tab in a string", ledger("", leases: lease.replacingOccurrences(of: "web", with: "w\teb"))),
        ("a raw control character in an unknown field", ledger(#""note":"a\#u{1}b","#)),
        ("a bad escape in an unknown field", ledger(#""note":"\q","#)),
        ("+1 in an unknown field", ledger(#""note":+1,"#)),
        ("nan in an unknown field", ledger(#""note":[nan],"#)),
        ("a leading zero", ledger("", leases: lease.replacingOccurrences(of: "3000", with: "03000"))),
        // Nesting was counted from the unknown field, not from the file's object as the JSON reader
        // counts it, so an unknown field took one to three levels more.
        ("65 levels of nesting", ledger(#""note":\#(String(repeating: "[", count: 64))\#(String(repeating: "]", count: 64)),"#)),
    ]

    @Test(arguments: damaged.map(\.0))
    func refusedByBoth(_ name: String) throws {
        let bytes = try #require(Self.damaged.first { $0.0 == name }?.1)
        #expect(LedgerDifferential.fastOutcome(bytes, focus: nil) == .damaged, "\(name)")
        #expect(ReferenceLedger.decode(bytes) == .damaged, "\(name)")
    }

    /// 63 levels below the file's object is the deepest any of our readers takes.
    @Test func theDeepestNestingBothTake() {
        let bytes = Self.ledger(#""note":\#(String(repeating: "[", count: 63))\#(String(repeating: "]", count: 63)),"#)
        #expect(LedgerDifferential.disagreements(bytes).isEmpty)
        #expect(LedgerDifferential.fastOutcome(bytes, focus: nil) != .damaged)
    }

    /// A format that is not Styxy's is no Styxy ledger, newer or not; a newer Styxy ledger is newer
    /// whatever the rest holds, once it is JSON.
    @Test func newerNeedsTheFormatAndTheLastVersion() {
        let other = Array(#"{"format":"other","schema_version":9,"generation":1,"leases":[]}"#.utf8)
        #expect(LedgerDifferential.fastOutcome(other, focus: nil) == .damaged)
        let lastCounts = Array(#"{"schema_version":9,"format":"styxy-ledger","schema_version":null,"generation":1,"leases":[]}"#.utf8)
        #expect(LedgerDifferential.fastOutcome(lastCounts, focus: nil) == .damaged)
        let broken = Array(#"{"schema_version":9,"format":"styxy-ledger","leases":[{"port":"x"}]}"#.utf8)
        #expect(LedgerDifferential.fastOutcome(broken, focus: nil) == .newer(9))
        for bytes in [other, lastCounts, broken] { #expect(LedgerDifferential.disagreements(bytes).isEmpty) }
    }

    /// `retired_ports` given twice kept both lists; the last one counts, as for every key.
    @Test func aRepeatedKeyCountsOnce() throws {
        let bytes = Self.ledger("", leases: Self.lease.replacingOccurrences(of: "\"port\":3000", with: #""retired_ports":[4000],"port":3000,"retired_ports":[4001]"#))
        guard case .state(let state) = LedgerDifferential.fastOutcome(bytes, focus: nil) else {
            Issue.record("not read")
            return
        }
        #expect(state.leases.first?.retiredPorts == [4001])
        #expect(LedgerDifferential.disagreements(bytes).isEmpty)
    }

    /// A focused read of a hand-ordered ledger matched roots with Swift's `==`, so the project at
    /// `/srv/é` (NFC) was also handed the leases of `/srv/e` + U+0301 (NFD), another folder.
    @Test func aFocusedReadMatchesRootsAsBytes() throws {
        let nfd = Self.lease.replacingOccurrences(of: "/p", with: "/srv/e\u{301}")
        let nfc = Self.lease.replacingOccurrences(of: "/p", with: "/srv/\u{E9}")
        let bytes = Self.ledger("", leases: nfc + "," + nfd)  // 0xC3 after `e`: out of the writer's order
        let focused = try LedgerCodec.decode(bytes, focus: "/srv/\u{E9}")
        #expect(focused.leases.map { $0.key.root.map { Array($0.utf8) } } == [Array("/srv/\u{E9}".utf8)])
        #expect(LedgerDifferential.disagreements(bytes).isEmpty)
    }
}
