import Foundation
import Testing

/// `renders/` holds one cached render per project instance; releasing or pruning an instance's
/// leases removes its entry, so a CI runner with an instance per job does not collect them forever.
@Suite("Render cache entries follow the leases")
struct RenderCacheSweepTests {
    @Test func releaseAndPruneRemoveTheEntriesOfInstancesWithoutLeases() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(20)
        let yaml = "services:\n  web:\n    range: [\(block.lowerBound), \(block.upperBound)]\noutputs:\n  - template: dotenv\n    path: .env\n"
        let manifest = try s.project("ci", yaml)
        let other = try s.project("gone", yaml)
        for instance in ["default", "job-1", "job-2"] { _ = try s.resolve(manifest, ["--instance", instance]) }
        _ = try s.resolve(other)
        func entries() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: s.home + "/renders")) ?? []).filter { $0.hasSuffix(".json") }
        }
        #expect(entries().count == 4, "\(entries())")

        #expect(try s.run(["lease", "release", "-m", manifest, "--instance", "job-2"]).status == 0)
        #expect(entries().count == 3, "job-2's entry goes with its lease: \(entries())")

        try FileManager.default.removeItem(atPath: s.projectRoot("gone"))
        let dry = try s.run(["lease", "prune", "--dry-run"])
        #expect(dry.status == 0 && entries().count == 3, "a dry run removes nothing: \(dry)")
        #expect(try s.run(["lease", "prune"]).status == 0)
        #expect(entries().count == 2, "the removed project's entry goes when its lease is pruned: \(entries())")

        // The entries left still serve: a warm resolve of a kept instance changes nothing.
        let warm = try s.run(["resolve", "-m", manifest, "--instance", "job-1"])
        #expect(warm.status == 0 && !warm.stdout.contains("updated") && !warm.stdout.contains("created"), "\(warm)")
    }
}
