import Foundation
import Testing

/// `resolve --dry-run` says what would happen to the ledger in terms of ports, and writes nothing.
@Suite("resolve --dry-run")
struct DryRunTests {
    @Test func aDryRunCountsNewMovedAndReleasedLeasesAndSetsARefreshApart() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let both = "services:\n  web:\n    range: [\(block.lowerBound), \(block.upperBound)]\n  api:\n    range: [\(block.lowerBound), \(block.upperBound)]\n"
        let manifest = try s.project("shop", both)

        let first = try s.run(["resolve", "-m", manifest, "--dry-run"])
        #expect(first.status == 0, "\(first)")
        #expect(first.stdout.contains("dry run: the ledger would change (2 new); nothing was written"), "\(first)")
        #expect(s.ledgerBytes() == nil, "a dry run creates no ledger")

        _ = try s.resolve(manifest)
        let fresh = try s.run(["resolve", "-m", manifest, "--dry-run"])
        #expect(fresh.stdout.contains("dry run: the ledger would not change"), "\(fresh)")

        // Age every lease past the refresh interval: only refresh times would move.
        let text = String(decoding: try #require(s.ledgerBytes()), as: UTF8.self)
        let aged = text.replacingOccurrences(of: #""refreshed_at":\d+"#, with: #""refreshed_at":1700000000"#,
                                             options: .regularExpression)
        #expect(aged != text)
        try Data(aged.utf8).write(to: URL(fileURLWithPath: s.ledgerPath))
        let refresh = try s.run(["resolve", "-m", manifest, "--dry-run"])
        #expect(refresh.stdout.contains("dry run: no port would change; the ledger would only record this run"), "\(refresh)")
        #expect(s.ledgerBytes() == Data(aged.utf8), "a dry run writes nothing")

        try s.project("shop", "services:\n  web:\n    range: [\(block.lowerBound), \(block.upperBound)]\n")
        let dropped = try s.run(["resolve", "-m", manifest, "--dry-run"])
        #expect(dropped.stdout.contains("dry run: the ledger would change (1 released); nothing was written"), "\(dropped)")
        #expect(try s.leases().count == 2)
    }
}
