import Foundation
@testable import StyxyKit
import StyxyTestSupport
import Testing

/// `doctor` in a project: the manifest is checked, and so is what its outputs need from the machine.
@Suite("doctor: the project's manifest and its Compose")
struct DoctorProjectTests {
    static func composeProject(_ s: Sandbox, _ block: ClosedRange<Int>) throws -> String {
        try s.project("app", """
            services:
              api:
                range: [\(block.lowerBound), \(block.upperBound)]
                port: \(block.lowerBound)
                env: [API_PORT]
                compose: { service: api, target: 8000 }
            outputs:
              - template: compose-override
                path: docker-compose.override.yml
            """)
    }

    /// A folder on PATH holding one fake program that prints `output`.
    static func fakeTool(_ s: Sandbox, _ name: String, printing output: String, status: Int = 0) throws -> String {
        let folder = s.root + "/fake-bin-\(name)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name
        try Data("#!/bin/sh\necho '\(output)'\nexit \(status)\n".utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o755)
        return folder
    }

    @Test func anOldComposeIsAWarningNamingTheFallback() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let manifest = try Self.composeProject(s, block)
        let old = try Self.fakeTool(s, "docker-compose", printing: "1.29.2")
        let result = try s.run(["doctor", "-m", manifest], environment: ["PATH": old + ":/usr/bin:/bin"])
        #expect(result.status == 1, "\(result)")
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("warning compose:") }, "\(result)")
        #expect(line.contains("docker-compose 1.29.2 is older than 2.24.4") && line.contains("refuses")
                && line.contains("\"${API_PORT:-\(block.lowerBound)}:8000\" for api"), "\(line)")
        let json = try s.run(["doctor", "-m", manifest, "--json"], environment: ["PATH": old + ":/usr/bin:/bin"])
        let checks = try #require(try json.json()["checks"] as? [[String: Any]])
        #expect(json.status == 1 && checks.contains { $0["verdict"] as? String == "warning" }, "\(json)")
    }

    @Test func aCurrentComposePluginIsOk() throws {
        let s = try Sandbox()
        let manifest = try Self.composeProject(s, try PortBlocks.reserve(10))
        let docker = try Self.fakeTool(s, "docker", printing: "v2.27.1-desktop.1")
        let result = try s.run(["doctor", "-m", manifest], environment: ["PATH": docker + ":/usr/bin:/bin"])
        #expect(result.status == 0 && result.stdout.contains("ok      compose: docker compose 2.27.1 reads docker-compose.override.yml"),
                "\(result)")
    }

    @Test func noComposeIsANoteAndAManifestWithoutAnOverrideAsksNothing() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let manifest = try Self.composeProject(s, block)
        let empty = s.root + "/empty-bin"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let none = try s.run(["doctor", "-m", manifest], environment: ["PATH": empty])
        #expect(none.status == 0 && none.stdout.contains("note    compose: neither `docker compose` nor `docker-compose` runs here"), "\(none)")

        let plain = try s.project("plain", "services:\n  web:\n    range: [\(block.lowerBound), \(block.upperBound)]\n")
        let old = try Self.fakeTool(s, "docker-compose", printing: "1.29.2")
        let result = try s.run(["doctor"], environment: ["PATH": old], in: s.projectRoot("plain"))
        #expect(result.status == 0 && result.stdout.contains("ok      manifest: styxy.yaml: 1 service(s)") && !result.stdout.contains("compose"),
                "\(result) \(plain)")
    }

    @Test func anInvalidManifestIsAProblem() throws {
        let s = try Sandbox()
        _ = try s.project("bad", "services:\n  web:\n    type: nonsense\n")
        let result = try s.run(["doctor"], in: s.projectRoot("bad"))
        #expect(result.status == 1 && result.stdout.contains("problem manifest: styxy.yaml:3:11: error: services.web.type: unknown service type"),
                "\(result)")
    }

    @Test(arguments: [("2.24.4", "2.24.4", false), ("2.24.0", "2.24.0", true), ("v2.23.3", "2.23.3", true), ("1.29.2", "1.29.2", true),
                      ("2.30", "2.30.0", false), ("v2.29.7-desktop.1\n", "2.29.7", false)])
    func composeVersionsAreReadAndCompared(text: String, shown: String, tooOld: Bool) throws {
        let version = try #require(ComposeVersion(parsing: text))
        #expect(version.description == shown)
        #expect((version < ComposeVersion.overrideTag) == tooOld)
    }

    @Test func unreadableVersionsAreNil() {
        #expect(ComposeVersion(parsing: "") == nil && ComposeVersion(parsing: "Docker Compose") == nil && ComposeVersion(parsing: "2") == nil)
    }
}
