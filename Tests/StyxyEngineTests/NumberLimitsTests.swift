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
}
