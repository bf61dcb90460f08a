import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Without `-m`, commands read the nearest `styxy.yaml`: in the current folder or a parent.
@Suite("Finding the manifest")
struct ManifestSearchTests {
    static func manifest(_ block: ClosedRange<Int>) -> String {
        "project: shop\nservices:\n  web:\n    range: [\(block.lowerBound), \(block.upperBound)]\noutputs:\n  - template: dotenv\n    path: .env\n"
    }

    @Test func aCommandInASubfolderUsesTheProjectsManifest() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        try s.project("shop", Self.manifest(block))
        let root = s.projectRoot("shop")
        let deep = root + "/packages/web/src"
        try FileManager.default.createDirectory(atPath: deep, withIntermediateDirectories: true)

        let fromRoot = try s.run(["env", "--format", "json"], in: root)
        let fromDeep = try s.run(["env", "--format", "json"], in: deep)
        #expect(fromDeep.status == 0, "\(fromDeep)")
        let port = try #require(try fromRoot.json()["WEB_PORT"] as? String)
        #expect(try fromDeep.json()["WEB_PORT"] as? String == port, "one project, one port")
        #expect(try fromDeep.json()["STYXY_PROJECT_ROOT"] as? String == root)
        #expect(try s.leases().count == 1)

        let resolved = try s.run(["resolve"], in: deep)
        #expect(resolved.status == 0, "\(resolved)")
        #expect(FileManager.default.fileExists(atPath: root + "/.env"), "outputs land beside the manifest")
        #expect(!FileManager.default.fileExists(atPath: deep + "/.env"))

        // Diagnostics name the manifest the way the user would reach it.
        try s.project("shop", "project: shop\nservices:\n  web:\n    typo: 1\n")
        let invalid = try s.run(["validate"], in: deep)
        #expect(invalid.status == 65)
        #expect(invalid.stderr.hasPrefix("../../../styxy.yaml:3:3: error:") && invalid.stderr.contains("\n../../../styxy.yaml:4:5: error:"),
                "\(invalid)")
    }

    @Test func aManifestInAParentFolderOwnedBySomeoneElseIsNotUsed() throws {
        try #require(geteuid() == 0, "needs root to give the manifest to another user")
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let path = try s.project("shared", Self.manifest(block))
        let below = s.projectRoot("shared") + "/mine"
        try FileManager.default.createDirectory(atPath: below, withIntermediateDirectories: true)
        #expect(chown(path, 65534, 65534) == 0)

        let run = try s.run(["resolve"], in: below)
        #expect(run.status == 65, "\(run)")
        #expect(run.stderr.contains("no manifest here"), "\(run)")
        #expect(s.ledgerBytes() == nil && !FileManager.default.fileExists(atPath: s.projectRoot("shared") + "/.env"))
        // Named explicitly, it is the user's choice.
        #expect(try s.run(["resolve", "-m", "../styxy.yaml"], in: below).status == 0)

        // Someone else's link to a manifest the user owns is someone else's too.
        let planted = s.projectRoot("planted")
        try FileManager.default.createDirectory(atPath: planted + "/mine", withIntermediateDirectories: true)
        let own = try s.project("own", Self.manifest(block))
        #expect(symlink(own, planted + "/styxy.yaml") == 0 && lchown(planted + "/styxy.yaml", 65534, 65534) == 0)
        let linked = try s.run(["resolve"], in: planted + "/mine")
        #expect(linked.status == 65 && linked.stderr.contains("no manifest here"), "\(linked)")
    }

    @Test func theNearestManifestWins() throws {
        let s = try Sandbox()
        let outer = try PortBlocks.reserve(10)
        let inner = try PortBlocks.reserve(10)
        try s.project("mono", Self.manifest(outer))
        try s.project("mono/services/api", Self.manifest(inner).replacingOccurrences(of: "shop", with: "api"))
        try FileManager.default.createDirectory(atPath: s.projectRoot("mono/services/api") + "/src", withIntermediateDirectories: true)
        let nested = try s.run(["env", "--format", "json"], in: s.projectRoot("mono/services/api") + "/src")
        #expect(nested.status == 0, "\(nested)")
        #expect(try nested.json()["STYXY_PROJECT"] as? String == "api")
        let port = try nested.json()["WEB_PORT"] as? String
        #expect(port.flatMap { Int($0) }.map(inner.contains) == true, "\(nested)")
    }
}
