import Foundation
import StyxyCore
@testable import StyxyEngine
import StyxyManifest
import Testing

/// DESIGN §9 "overflow a number": durations have a ceiling, times stay within 1970-9999, and the
/// ledger writer never emits a number its reader refuses.
@Suite("Number limits")
struct NumberLimitsTests {
    static let latest = Timestamp.range.upperBound

    // MARK: Times

    /// `--ttl 3000000d` used to show its expiry as the year "0240" (10240 cut to four digits).
    @Test func everyTimeIsShownWithinYears1970To9999() {
        #expect(Timestamp.format(Self.latest) == "9999-12-31T23:59:59Z")
        #expect(Timestamp.parse("9999-12-31T23:59:59Z") == Self.latest)
        #expect(Timestamp.parse("1970-01-01T00:00:00Z") == 0)
        for seconds: Int64 in [.max, .min, -1, Self.latest + 1, 259_200_000_000 + 1_800_000_000] {
            let text = Timestamp.format(seconds)
            #expect(text == (seconds < 0 ? "1970-01-01T00:00:00Z" : "9999-12-31T23:59:59Z"), "\(seconds) → \(text)")
        }
    }

    /// Whatever `parse` accepts, `format` gives back exactly: no 31 April, no year 0.
    @Test func parseAcceptsOnlyRealDatesFrom1970() throws {
        for text in ["2026-02-29T00:00:00Z", "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-06-31T12:00:00Z",
                     "1900-02-29T00:00:00Z", "1969-12-31T23:59:59Z", "0000-01-01T00:00:00Z"] {
            #expect(Timestamp.parse(text) == nil, "\(text) → \(String(describing: Timestamp.parse(text)))")
        }
        for text in ["2024-02-29T12:00:00Z", "2000-02-29T00:00:00Z", "2026-04-30T23:59:59Z", "2026-12-31T00:00:00Z"] {
            #expect(Timestamp.format(try #require(Timestamp.parse(text))) == text)
        }
    }

    @Test func addingNeverOverflowsAndStaysInRange() {
        #expect(Timestamp.adding(Int64.max, to: 1_800_000_000) == Self.latest)
        #expect(Timestamp.adding(Int64.min, to: 1_800_000_000) == 0)
        #expect(Timestamp.adding(60, to: Self.latest) == Self.latest)
        #expect(Timestamp.adding(3600, to: 1_800_000_000) == 1_800_003_600)
    }

    // MARK: Durations

    @Test(arguments: ["99999999999999999999999d", "106751991167300d", "12000000000000d", "3000000d", "3651d",
                      String(repeating: "9", count: 400) + "s"])
    func aDurationBeyondTheMaximumIsTooLong(text: String) {
        #expect(DurationText.read(text, maximum: Double(Lease.maximumTTL)) == .tooLong, "\(text)")
        #expect(DurationText.seconds(text) == nil)
    }

    @Test func durationsReadUpToTheirMaximumAndNothingElse() {
        for text in ["1e9s", "infs", "nans", "inf", "1.2.3s", "٣s", "10", "-5s", "5 s", ""] {
            #expect(DurationText.read(text) == .invalid, "\(text)")
        }
        #expect(DurationText.read("3650d", maximum: Double(Lease.maximumTTL)) == .seconds(315_360_000))
        #expect(DurationText.read("1h30m") == .seconds(5400))
        #expect(DurationText.read("500ms") == .seconds(0.5))
        #expect(DurationText.read("2h", maximum: DurationText.longestLockWait) == .tooLong)
        #expect(DurationText.describe(Double(Lease.maximumTTL)) == "3650d")
        #expect(DurationText.describe(DurationText.longestLockWait) == "1h")
    }

    @Test func aConfiguredLockWaitOverAnHourIsAnErrorAtItsLine() throws {
        let s = try EngineSandbox()
        let error = #expect(throws: StyxyError.self) { _ = try s.loadCatalog(config: "lock_timeout: 99999999999999999999d\n") }
        #expect(error?.exitStatus == .invalidInput)
        #expect(error?.description.contains("config.yaml:1:15") == true && error?.description.contains("at most 1h") == true,
                "\(error?.description ?? "")")
        #expect(try s.loadCatalog(config: "lock_timeout: 1h\n").lockTimeoutSeconds == 3600)
    }

    // MARK: The engine at the extremes

    /// The clock and the TTL at their limits: the lease is written, read back and listed.
    @Test(arguments: [Int64(1_800_000_000), Timestamp.range.upperBound - 10, Int64.max, Int64.min])
    func theLongestTTLAtAnyClockIsStoredAndReadBack(start: Int64) throws {
        let s = try EngineSandbox()
        s.clock.now = start
        let m = try s.manifest("ci", oneService("dev"))
        try s.resolve(m, ResolveOptions(ttl: Lease.maximumTTL))
        let lease = try #require(try s.lease(m, "web"))
        let now = Timestamp.clamped(start)
        #expect(lease.createdAt == now && lease.ttl == Lease.maximumTTL)
        #expect(lease.expiresAt == min(now + Lease.maximumTTL, Self.latest))
        #expect(Timestamp.parse(Timestamp.format(lease.expiresAt!)) == lease.expiresAt)
        // A TTL from a caller that skipped the checks is held to the maximum, not overflowed.
        try s.resolve(m, ResolveOptions(ttl: Int64.max))
        #expect(try s.lease(m, "web")?.ttl == Lease.maximumTTL)
    }

    // MARK: The codec at the extremes

    static func lease(_ root: String, port: Int = 3000, created: Int64 = 1_800_000_000, refreshed: Int64 = 1_800_000_000,
                      expires: Int64? = nil, ttl: Int64? = nil) -> Lease {
        Lease(key: LeaseKey(root: root, service: "web", portName: "default", instance: "default"), project: "p", manifest: "",
              port: port, createdAt: created, refreshedAt: refreshed, expiresAt: expires, ttl: ttl)
    }

    /// Int64's limits in every number field: the bytes decode, to the clamped values.
    @Test func extremeNumbersAreClampedOnTheWayOutAndReadBack() throws {
        let state = LedgerState(generation: Int.max, leases: [
            Self.lease("/max", created: .max, refreshed: .max, expires: .max, ttl: .max),
            Self.lease("/min", created: .min, refreshed: .min, expires: .min, ttl: .min),
            Self.lease("/limit", created: Self.latest, refreshed: Self.latest, expires: Self.latest, ttl: Lease.maximumTTL),
            Self.lease("/derived", created: 0, refreshed: .max, expires: .min),
        ])
        let decoded = try LedgerCodec.decode(try LedgerCodec.encode(state))
        #expect(decoded.generation == Int.max)
        let byRoot = Dictionary(uniqueKeysWithValues: decoded.leases.map { ($0.key.root, $0) })
        for root in ["/max", "/limit"] {
            let lease = try #require(byRoot[root])
            #expect(lease.createdAt == Self.latest && lease.refreshedAt == Self.latest && lease.expiresAt == Self.latest, "\(root)")
            #expect(lease.ttl == Lease.maximumTTL, "\(root)")
        }
        let low = try #require(byRoot["/min"])
        #expect(low.createdAt == 0 && low.refreshedAt == 0 && low.expiresAt == 0 && low.ttl == 1)
        #expect(byRoot["/derived"]?.ttl == 1, "an expiry before the refresh implies the shortest TTL, not a negative one")
        // What was read is written the same way again: a fixed point.
        #expect(try LedgerCodec.encode(decoded) == LedgerCodec.encode(state))
    }

    /// The writer bumps the generation; at Int.max it stays there instead of trapping.
    @Test func theGenerationSaturates() throws {
        let s = try EngineSandbox()
        let state = LedgerState(generation: Int.max - 1, leases: [])
        try s.writeLedger(String(decoding: try LedgerCodec.encode(state), as: UTF8.self))
        for _ in 0..<2 {
            try s.ledger.update(timeout: 1) { (state: inout LedgerState) in state.leases.append(Self.lease("/\(state.generation)")) }
        }
        #expect(try s.ledger.read().generation == Int.max)
    }

    @Test func aPortOrAKeyTheReaderWouldRefuseIsNotWritten() throws {
        for state in [LedgerState(leases: [Self.lease("/a", port: 0)]), LedgerState(leases: [Self.lease("/a", port: 65536)]),
                      LedgerState(leases: [Self.lease("/a"), Self.lease("/a", port: 3001)])] {
            #expect(throws: LedgerCodec.Unwritable.self) { _ = try LedgerCodec.encode(state) }
        }
        let s = try EngineSandbox()
        try s.resolve(try s.manifest("a", oneService("dev")))
        let bytes = s.ledgerBytes()
        let error = #expect(throws: StyxyError.self) {
            try s.ledger.update(timeout: 1) { (state: inout LedgerState) in state.leases[0].port = 70000 }
        }
        #expect(error?.exitStatus == .ledgerIO && error?.description.contains("left unchanged") == true, "\(error?.description ?? "")")
        #expect(s.ledgerBytes() == bytes)
    }

    static let header = #"{"format":"styxy-ledger","schema_version":1,"generation":1,"leases":["#

    static func ledger(_ fields: String) -> [UInt8] {
        Array((header + #"{"root":"/a","service":"web","port_name":"default","instance":"default","port":3000,"# + fields + "}]}").utf8)
    }

    /// The reader takes the whole Int64 range, so no 19-digit number a writer made is "damaged";
    /// beyond 64 bits and out-of-range times are.
    @Test func theReaderTakesEveryInt64AndRefusesTimesOutOfRange() throws {
        let far = try LedgerCodec.decode(Self.ledger(#""created_at":1,"refreshed_at":1,"expires_at":9223372036854775807,"ttl_seconds":1036800000000000000"#))
        #expect(far.leases.first?.expiresAt == Self.latest && far.leases.first?.ttl == Lease.maximumTTL,
                "what an earlier Styxy wrote for --ttl 12000000000000d reads as the limits")
        for fields in [#""created_at":-1,"refreshed_at":1"#, #""created_at":253402300800,"refreshed_at":1"#,
                       #""created_at":1,"refreshed_at":-9223372036854775808"#, #""created_at":1,"refreshed_at":1,"expires_at":-5"#,
                       #""created_at":1,"refreshed_at":1,"ttl_seconds":0"#, #""created_at":1,"refreshed_at":9223372036854775808"#,
                       #""created_at":"1969-12-31T23:59:59Z","refreshed_at":1"#, #""created_at":"2026-02-30T00:00:00Z","refreshed_at":1"#] {
            #expect(throws: LedgerCodec.Problem.self, "\(fields)") { try LedgerCodec.decode(Self.ledger(fields)) }
        }
        let generation = Array(#"{"format":"styxy-ledger","schema_version":1,"generation":9223372036854775807,"leases":[]}"#.utf8)
        #expect(try LedgerCodec.decode(generation).generation == Int.max)
    }

    /// `é` and `e` + U+0301 are one string to Swift but two folders to Linux.
    @Test func keysDifferingOnlyInNormalisationAreTwoLeasesAndRoundTrip() throws {
        let state = LedgerState(generation: 1, leases: [Self.lease("/x/\u{E9}"), Self.lease("/x/e\u{301}", port: 3001), Self.lease("/x/f", port: 3002)])
        let decoded = try LedgerCodec.decode(try LedgerCodec.encode(state))
        #expect(decoded.leases.count == 3)
        #expect(try LedgerCodec.decode(try LedgerCodec.encode(decoded)) == decoded)
        #expect(try LedgerCodec.decode(try LedgerCodec.encode(state), focus: "/x/e\u{301}").leases.map(\.port) == [3001])
    }

    @Test(arguments: [#"\ud800\u0041"#, #"\ud800"#, #"\udc00"#, #"\u12"#, #"\x"#, #"\"#])
    func aBadEscapeIsDamageNotACrash(escape: String) {
        let bytes = Array((Self.header + #"{"root":"/a"# + escape + #"","service":"web"}]}"#).utf8)
        #expect(throws: LedgerCodec.Problem.self) { try LedgerCodec.decode(bytes) }
    }

    @Test func deepNestingAndInvalidUTF8AreDamage() throws {
        let deep = Array((Self.header + "]," + #""x":"# + String(repeating: "[", count: 200_000) + "}").utf8)
        #expect(throws: LedgerCodec.Problem.self) { try LedgerCodec.decode(deep) }
        var invalid = Self.ledger(#""created_at":1,"refreshed_at":1"#)
        invalid[invalid.firstIndex(of: UInt8(ascii: "w"))!] = 0xFF
        #expect(throws: LedgerCodec.Problem.damaged("not UTF-8 text")) { try LedgerCodec.decode(invalid) }
        #expect(try LedgerCodec.decode(Self.ledger(#""created_at":1,"refreshed_at":1,"project":"caf\#u{E9} ✓""#)).leases.first?.project == "café ✓")
    }

    /// Telling "newer" from "damaged" used to parse the whole file again with the general JSON
    /// reader, which trapped on a lone surrogate escape: a newer ledger could crash this version.
    /// A newer ledger is newer whatever its leases hold; a file that is not JSON (that escape) is
    /// damaged whatever it claims, as docs/engine.md says, and neither crashes.
    @Test func aNewerLedgerIsToldApartFromADamagedOneWhateverItHolds() {
        let newer = Array(#"{"leases":[{"shape":"\ud83d\ude00","port":"a name now"}],"format":"styxy-ledger","schema_version":3,"generation":1}"#.utf8)
        #expect(throws: LedgerCodec.Problem.newer(3)) { try LedgerCodec.decode(newer) }
        let notJSON = Array(#"{"leases":[{"shape":"\ud800\u0041"}],"format":"styxy-ledger","schema_version":3,"generation":1}"#.utf8)
        #expect(throws: LedgerCodec.Problem.damaged("not valid JSON: invalid string at byte 20")) { try LedgerCodec.decode(notJSON) }
    }
}
