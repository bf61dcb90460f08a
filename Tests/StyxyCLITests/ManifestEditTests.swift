import Foundation
import Testing

/// Editing the manifest reaches the outputs on the next resolve, however small the edit.
@Suite("Manifest edits reach the outputs")
struct ManifestEditTests {
    @Test func aComposeHostAddressAddedLaterRewritesTheOverride() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        func manifest(_ compose: String) -> String {
            """
            services:
              db:
                range: [\(block.lowerBound), \(block.upperBound)]
                compose: { \(compose) }
            outputs:
              - template: compose-override
                path: docker-compose.override.yml

            """
        }
        let path = try s.project("shop", manifest("service: postgres, target: 5432"))
        let port = try #require(try s.resolve(path)["db.default"])
        let override = s.projectRoot("shop") + "/docker-compose.override.yml"
        #expect(try String(contentsOfFile: override, encoding: .utf8).contains("- \"\(port):5432\""))

        // Within the refresh interval the warm path (render cache) is taken; it must still see the edit.
        try s.project("shop", manifest("service: postgres, target: 5432, host_ip: 127.0.0.1"))
        let edited = try s.run(["resolve", "-m", path])
        #expect(edited.status == 0 && edited.stdout.contains("docker-compose.override.yml: updated"), "\(edited)")
        #expect(try String(contentsOfFile: override, encoding: .utf8).contains("- \"127.0.0.1:\(port):5432\""))

        let again = try s.run(["resolve", "-m", path])
        #expect(!again.stdout.contains("updated"), "and is current afterwards: \(again)")
    }
}
