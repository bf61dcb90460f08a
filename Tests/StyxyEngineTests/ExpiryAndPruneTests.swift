import Foundation
import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyProbe
import Testing

/// Time to live, pruning and releasing.
@Suite("TTL, prune and release")
struct ExpiryAndPruneTests {
    @Test func aTTLSetsExpiryFromTheClock() throws {
        let s = try EngineSandbox()
        let m = try s.manifest("ci", oneService("dev"))
        try s.resolve(m, ResolveOptions(ttl: 7200))
        let lease = try #require(try s.lease(m, "web"))
        #expect(lease.expiresAt == s.clock.now + 7200)
        #expect(lease.refreshedAt == s.clock.now && lease.createdAt == s.clock.now)
        #expect(!lease.isExpired(at: s.clock.now + 7199) && lease.isExpired(at: s.clock.now + 7200))
        // Without a TTL a lease never expires.
        let plain = try s.manifest("plain", oneService("dev"))
        try s.resolve(plain)
        #expect(try s.lease(plain, "web")?.expiresAt == nil)
    }

    @Test func anExpiredLeaseIsFreeForOthersAndDroppedFromTheLedger() throws {
        let s = try EngineSandbox()
        let ci = try s.manifest("ci", oneService("dev"))
        #expect(try s.resolve(ci, ResolveOptions(ttl: 100)).port("web") == 3000)
        s.clock.advance(99)
        #expect(try s.resolve(try s.manifest("early", oneService("dev"))).port("web") == 3001, "not expired yet")
        s.clock.advance(1)
        #expect(try s.resolve(try s.manifest("late", oneService("dev"))).port("web") == 3000)
        #expect(try s.lease(ci, "web") == nil, "the expired lease went with that write")
    }

    /// A project resolving again after its lease expired must own its port again: the lease is
    /// reported as kept, so it must not stay expired for others to take.
    @Test func resolvingAgainRenewsAnExpiredLease() throws {
        let s = try EngineSandbox()
        let ci = try s.manifest("ci", oneService("dev"))
        #expect(try s.resolve(ci, ResolveOptions(ttl: 30)).port("web") == 3000)
        s.clock.advance(40)
        let again = try s.resolve(ci, ResolveOptions(ttl: 30))
        #expect(again.port("web") == 3000)
        let lease = try #require(try s.lease(ci, "web"))
        #expect(!lease.isExpired(at: s.clock.now), "expires_at \(String(describing: lease.expiresAt)), now \(s.clock.now)")
        let other = try s.resolve(try s.manifest("other", oneService("dev")))
        #expect(other.port("web") != 3000, "another project took the port the CI job was just told it holds")
    }

    @Test func aShortTTLIsRenewedBeforeItLosesAQuarterOfItsLife() throws {
        let s = try EngineSandbox()
        let ci = try s.manifest("ci", oneService("dev"))
        let start = s.clock.now
        try s.resolve(ci, ResolveOptions(ttl: 40))
        let generation = try s.ledger.read().generation
        s.clock.advance(5)
        #expect(!(try s.resolve(ci, ResolveOptions(ttl: 40)).ledgerChanged), "5 s of 40 lost: no write yet")
        #expect(try s.ledger.read().generation == generation)
        s.clock.advance(6)
        try s.resolve(ci, ResolveOptions(ttl: 40))
        #expect(try s.lease(ci, "web")?.expiresAt == start + 11 + 40)
    }

    @Test func aLongerTTLIsPushedForwardOnRefresh() throws {
        let s = try EngineSandbox()
        let ci = try s.manifest("ci", oneService("dev"))
        try s.resolve(ci, ResolveOptions(ttl: 3600))
        s.clock.advance(600)
        try s.resolve(ci, ResolveOptions(ttl: 3600))
        #expect(try s.lease(ci, "web")?.expiresAt == s.clock.now + 3600)
        // A later resolve without a TTL keeps the lease temporary, renewing it by the same TTL...
        s.clock.advance(600)
        try s.resolve(ci)
        #expect(try s.lease(ci, "web")?.expiresAt == s.clock.now + 3600)
        #expect(try s.lease(ci, "web")?.ttl == 3600)
        // ...and only `--ttl none` makes it permanent again.
        try s.resolve(ci, ResolveOptions(instance: "default", ttl: .clear))
        #expect(try s.lease(ci, "web")?.expiresAt == nil)
    }

    @Test func pruneNamesEachReasonAndADryRunRemovesNothing() throws {
        let s = try EngineSandbox()
        let expired = try s.manifest("expired", oneService("dev"))
        try s.resolve(expired, ResolveOptions(ttl: 10))
        let gone = try s.manifest("gone", oneService("dev"))
        try s.resolve(gone)
        let noManifest = try s.manifest("nomanifest", oneService("dev"))
        try s.resolve(noManifest)
        let alive = try s.manifest("alive", "services:\n  web: { type: dev }\n  ollama: { type: ai, shared: true }\n")
        try s.resolve(alive)
        try FileManager.default.removeItem(atPath: gone.root)
        try FileManager.default.removeItem(atPath: noManifest.root + "/styxy.yaml")
        s.clock.advance(11)

        let bytes = s.ledgerBytes()
        let planned = try s.maintenance().prune(dryRun: true)
        let reasons = Dictionary(uniqueKeysWithValues: planned.map { ($0.lease.project, $0.reason) })
        #expect(reasons == ["expired": .expired, "gone": .rootGone, "nomanifest": .manifestGone])
        #expect(LeaseMaintenance.PruneReason.rootGone.rawValue == "project folder gone")
        #expect(LeaseMaintenance.PruneReason.manifestGone.rawValue == "manifest gone")
        #expect(s.ledgerBytes() == bytes, "a dry run writes nothing")

        let pruned = try s.maintenance().prune(dryRun: false)
        #expect(Set(pruned.map(\.lease.project)) == ["expired", "gone", "nomanifest"])
        let left = try s.leases()
        #expect(left.count == 2 && left.allSatisfy { $0.key.root == alive.root || $0.isShared })
        // Nothing left to prune: no write at all.
        let generation = try s.ledger.read().generation
        #expect(try s.maintenance().prune(dryRun: false).isEmpty)
        #expect(try s.ledger.read().generation == generation)
    }

    @Test func sharedLeasesArePrunedOnlyByExpiry() throws {
        let s = try EngineSandbox()
        let m = try s.manifest("shop", "services:\n  ollama: { type: ai, shared: true }\n")
        try s.resolve(m)
        try FileManager.default.removeItem(atPath: m.root)
        s.clock.advance(10 * 86_400)
        #expect(try s.maintenance().prune(dryRun: true).isEmpty)
        #expect(try s.leases().count == 1)
    }

    @Test func releaseRemovesExactlyTheMatchingLeases() throws {
        let s = try EngineSandbox()
        let shop = try s.manifest("shop", StabilityTests.twoServices)
        try s.resolve(shop)
        try s.resolve(try s.manifest("other", StabilityTests.twoServices))
        let released = try s.maintenance().release { $0.key.root == shop.root && $0.key.service == "api" }
        #expect(released.map(\.port) == [8000])
        #expect(try s.leases().count == 3)
        #expect(try s.lease(shop, "api") == nil)
        let generation = try s.ledger.read().generation
        #expect(try s.maintenance().release { $0.key.service == "nothing" }.isEmpty)
        #expect(try s.ledger.read().generation == generation, "releasing nothing writes nothing")
    }
}
