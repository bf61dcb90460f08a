import Foundation
import Testing

/// Names of things that do not exist are errors with "did you mean", never a silent success.
@Suite("Mistakes are errors")
struct MistakeTests {
    static func stack(_ block: ClosedRange<Int>) -> String {
        "services:\n  web:\n    range: [\(block.lowerBound), \(block.lowerBound + 4)]\n  api:\n    range: [\(block.lowerBound + 5), \(block.upperBound)]\n"
    }

    @Test func releasingAnUnknownServiceIsExit1AndReleasesNothing() throws {
        let s = try Sandbox()
        let manifest = try s.project("shop", Self.stack(try PortBlocks.reserve(10)))
        _ = try s.resolve(manifest)
        let bytes = s.ledgerBytes()
        let typo = try s.run(["lease", "release", "-m", manifest, "wbe"])
        #expect(typo.status == 1 && typo.stderr.contains("did you mean 'web'"), "\(typo)")
        #expect(s.ledgerBytes() == bytes, "nothing was released")
    }

    @Test func repeatedInstancesAreAList() throws {
        let s = try Sandbox()
        let manifest = try s.project("shop", Self.stack(try PortBlocks.reserve(10)))
        for instance in ["job-1", "job-2", "job-3"] { _ = try s.resolve(manifest, ["--instance", instance]) }
        let result = try s.run(["lease", "release", "-m", manifest, "--instance", "job-1", "--instance", "job-2", "--json"])
        #expect(result.status == 0, "\(result)")
        let left = Set(try s.leases().compactMap { $0["instance"] as? String })
        #expect(left == ["job-3"], "\(left)")
    }

    @Test func aProjectNameSharedByTwoRootsIsRefusedListingThem() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let one = try s.project("one", "project: shop\n" + Self.stack(block))
        let two = try s.project("two", "project: shop\n" + Self.stack(block))
        _ = try s.resolve(one)
        _ = try s.resolve(two)
        let ambiguous = try s.run(["lease", "release", "--project", "shop"])
        #expect(ambiguous.status == 1 && ambiguous.stderr.contains(s.projectRoot("one")) && ambiguous.stderr.contains(s.projectRoot("two"))
                && ambiguous.stderr.contains("--root"), "\(ambiguous)")
        #expect(try s.leases().count == 4)
        let picked = try s.run(["lease", "release", "--root", s.projectRoot("two")])
        #expect(picked.status == 0, "\(picked)")
        #expect(Set(try s.leases().map(\.root)) == [s.projectRoot("one")])
    }

    @Test func aMisspeltCommandIsExit64WithDidYouMean() throws {
        let s = try Sandbox()
        let result = try s.run(["reslove"])
        #expect(result.status == 64 && result.stderr.contains("did you mean 'resolve'"), "\(result)")
        let nested = try s.run(["lease", "relase"])
        #expect(nested.status == 64 && nested.stderr.contains("did you mean 'release'"), "\(nested)")
    }
}
