import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// TTL and prune through the binary, and the exit codes of bad input.
@Suite("Prune, TTL and exit codes")
struct PruneAndExitStatusTests {
    static func web(_ block: ClosedRange<Int>, preferring port: Int? = nil) -> String {
        "services:\n  web:\n    range: [\(block.lowerBound), \(block.upperBound)]\n" + (port.map { "    port: \($0)\n" } ?? "")
    }

    @Test func anExpiredLeaseIsListedByADryRunAndRemovedByPrune() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        _ = try s.resolve(try s.project("ci", Self.web(block)), ["--ttl", "1h"])
        _ = try s.resolve(try s.project("keep", Self.web(block)))
        let expiring = try #require(try s.leases().first { $0.root.hasSuffix("/ci") })
        let expiry = try #require(expiring["expires_at"] as? String)
        #expect(expiry.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"#, options: .regularExpression) != nil, "\(expiry)")
        #expect(try s.leases().first { $0.root.hasSuffix("/keep") }?["expires_at"] is NSNull)
        s.clock.advance(3601)

        let bytes = s.ledgerBytes()
        let dry = try s.run(["lease", "prune", "--dry-run", "--json"])
        #expect(dry.status == 0, "\(dry)")
        #expect(try dry.json()["dry_run"] as? Bool == true)
        let listed = try #require(try dry.json()["pruned"] as? [[String: Any]])
        #expect(listed.count == 1 && listed.first?.root.hasSuffix("/ci") == true && listed.first?["reason"] as? String == "expired", "\(listed)")
        #expect(s.ledgerBytes() == bytes, "a dry run removes nothing")
        #expect(try s.leases().count == 2)

        let pruned = try s.run(["lease", "prune", "--json"])
        let prunedCount = (try pruned.json()["pruned"] as? [Any])?.count
        #expect(pruned.status == 0 && prunedCount == 1, "\(pruned)")
        #expect(try s.leases().map(\.root).map { ($0 as NSString).lastPathComponent } == ["keep"])
    }

    @Test func anotherProjectsResolveTakesAnExpiredLeasesPort() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let taken = try s.resolve(try s.project("ci", Self.web(block, preferring: block.lowerBound)), ["--ttl", "1h"])
        #expect(taken["web.default"] == block.lowerBound)
        // Halfway, with room for however long the commands themselves take on a loaded machine.
        s.clock.advance(1800)
        #expect(try s.resolve(try s.project("early", Self.web(block, preferring: block.lowerBound)))["web.default"] != block.lowerBound)
        s.clock.advance(1801)
        let late = try s.resolve(try s.project("late", Self.web(block, preferring: block.lowerBound)))
        #expect(late["web.default"] == block.lowerBound, "the expired lease no longer holds its port")
        #expect(try s.leases().contains { $0.root.hasSuffix("/ci") } == false, "and it left the ledger")
    }

    @Test func leasesOfAGoneFolderOrManifestArePrunedWithTheirReason() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        for name in ["gone", "nomanifest", "alive"] { _ = try s.resolve(try s.project(name, Self.web(block))) }
        try FileManager.default.removeItem(atPath: s.projectRoot("gone"))
        try FileManager.default.removeItem(atPath: s.projectRoot("nomanifest") + "/styxy.yaml")

        let dry = try s.run(["lease", "prune", "--dry-run", "--json"])
        let listed = try #require(try dry.json()["pruned"] as? [[String: Any]], "\(dry)")
        let reasons = Dictionary(uniqueKeysWithValues: listed.map { (($0.root as NSString).lastPathComponent, $0["reason"] as? String ?? "") })
        #expect(reasons == ["gone": "project folder gone", "nomanifest": "manifest gone"])
        #expect(try s.leases().count == 3)

        let human = try s.run(["lease", "prune"])
        #expect(human.status == 0 && human.stdout.contains("project folder gone"), "\(human)")
        #expect(try s.leases().map { ($0.root as NSString).lastPathComponent } == ["alive"])
    }

    @Test func aMissingManifestIsExit65() throws {
        let s = try Sandbox()
        let result = try s.run(["resolve", "-m", s.root + "/nowhere/styxy.yaml"])
        #expect(result.status == 65 && result.stderr.contains("nowhere/styxy.yaml"), "\(result)")
        #expect(s.ledgerBytes() == nil)
    }

    @Test func anInvalidManifestIsExit65WithItsPlace() throws {
        let s = try Sandbox()
        let manifest = try s.project("shop", "services:\n  web:\n    type: dev\n    prot: 3000\n")
        let result = try s.run(["resolve", "-m", manifest])
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("styxy.yaml:4:"), "file:line:column: \(result)")
        #expect(s.ledgerBytes() == nil)
    }

    @Test(arguments: [["resolve", "--bogus"], ["resolve", "--ttl", "soon"], ["check", "0"], ["check", "70000"], ["lease", "frobnicate"],
                      ["resolve", "--instance", "no spaces"], ["lease", "release", "--shared"], ["env", "--format", "yaml"]])
    func aBadCommandLineIsExit64(arguments: [String]) throws {
        let s = try Sandbox()
        let result = try s.run(arguments)
        #expect(result.status == 64, "\(arguments): \(result)")
        #expect(!result.stderr.isEmpty)
        let command = arguments.prefix { $0.allSatisfy(\.isLetter) && $0 != "frobnicate" }.joined(separator: " ")
        #expect(result.stderr.contains("Usage: styxy \(command)"), "the usage shown is the command's own: \(result)")
    }
}
