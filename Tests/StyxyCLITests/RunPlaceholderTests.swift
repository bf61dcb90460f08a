import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `{{NAME}}` in `run`'s arguments, `run SERVICE`, and `wait`, in-process.
@Suite("The last mile: placeholders, run SERVICE, wait")
struct RunPlaceholderTests {
    static func stack(_ block: ClosedRange<Int>, web: String = "", extra: String = "") -> String {
        """
        services:
          web:
            range: [\(block.lowerBound), \(block.lowerBound + 4)]
        \(web)
          api:
            range: [\(block.lowerBound + 5), \(block.upperBound)]
            env: [API_PORT, PORT]
        \(extra)
        """
    }

    @Test func placeholdersBecomeTheLeasedPortsAndOtherBracesStay() throws {
        let s = try Sandbox()
        let manifest = try s.project("app", Self.stack(try PortBlocks.reserve(10)))
        // A stale value in the environment must not win over the lease.
        let result = try s.run(["run", "-m", manifest, "--", "sh", "-c", "echo \"$1 $2 $3\"", "-", "--port={{WEB_PORT}}",
                                "{{API_PORT}}:{{STYXY_INSTANCE}}", "{{.Names}} {{ x }} {{port_}}"],
                               environment: ["WEB_PORT": "3999"])
        let ports = try s.resolve(manifest)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "--port=\(ports["web.default"] ?? -1) \(ports["api.default"] ?? -1):default {{.Names}} {{ x }} {{port_}}\n")
    }

    @Test func anUnknownNameIsExit64WithDidYouMeanAndLeasesNothing() throws {
        let s = try Sandbox()
        let manifest = try s.project("app", Self.stack(try PortBlocks.reserve(10)))
        let result = try s.run(["run", "-m", manifest, "--", "echo", "{{WEB_PROT}}"])
        #expect(result.status == 64 && result.stderr.contains("{{WEB_PORT}}") && result.stdout.isEmpty, "\(result)")
        #expect(s.ledgerBytes() == nil, "nothing is leased for a command that cannot start")
        let lower = try s.run(["run", "-m", manifest, "--", "echo", "{{port}}"])
        #expect(lower.status == 64 && lower.stderr.contains("styxy run SERVICE"), "\(lower)")
    }

    @Test func runServiceStartsItsCommandInItsFolderWithExtraArguments() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let manifest = try s.project("app", Self.stack(block, web: """
                command: echo "web on {{port}} in $(pwd)" >&2; printf '%s|' "$WEB_PORT"
                cwd: site
            """))
        try FileManager.default.createDirectory(atPath: s.projectRoot("app") + "/site", withIntermediateDirectories: true)
        let result = try s.run(["run", "-m", manifest, "web", "--", "two words", "{{port}}", "$HOME"])
        let port = try s.resolve(manifest)["web.default"] ?? -1
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("web on \(port) in \(s.projectRoot("app"))/site"), "\(result)")
        // Each extra argument stays one word, quoted, never expanded by the shell.
        #expect(result.stdout == "\(port)|two words|\(port)|$HOME|", "\(result)")
    }

    @Test func runServiceNamesWhatIsWrong() throws {
        let s = try Sandbox()
        let manifest = try s.project("app", Self.stack(try PortBlocks.reserve(10)))
        let typo = try s.run(["run", "-m", manifest, "wbe"])
        #expect(typo.status == 64 && typo.stderr.contains("did you mean 'web'"), "\(typo)")
        let none = try s.run(["run", "-m", manifest, "api"])
        #expect(none.status == 64 && none.stderr.contains("has no command"), "\(none)")
    }

    @Test func waitIsReadyWhenThisProjectListensAndTimesOutNamingWhatIsMissing() throws {
        let s = try Sandbox()
        let manifest = try s.project("app", Self.stack(try PortBlocks.reserve(10)))
        let ports = try s.resolve(manifest)
        let missing = try s.run(["wait", "-m", manifest, "--timeout", "0.3s", "web"])
        #expect(missing.status == 1 && missing.stderr.contains("port \(ports["web.default"] ?? -1) of web: nothing accepts connections"), "\(missing)")

        let server = try s.python(Sandbox.listenScript(port: ports["web.default"] ?? 0), cwd: s.projectRoot("app"))
        defer { server.kill() }
        let ready = try s.run(["wait", "-m", manifest, "--json", "web"])
        #expect(ready.status == 0, "\(ready)")
        let listed = try #require(try ready.json()["ports"] as? [[String: Any]])
        #expect(listed.count == 1 && listed.first?["state"] as? String == "ready" && listed.first?.port == ports["web.default"], "\(listed)")
    }

    @Test func waitStopsAtOnceWhenSomeoneElseHoldsThePort() throws {
        let s = try Sandbox()
        let manifest = try s.project("app", Self.stack(try PortBlocks.reserve(10)))
        let port = try s.resolve(manifest)["web.default"] ?? 0
        let foreign = try s.python(Sandbox.listenScript(port: port), cwd: s.userHome)
        defer { foreign.kill() }
        let started = Date()
        let result = try s.run(["wait", "-m", manifest, "--timeout", "30s"])
        #expect(result.status == 1 && result.stderr.contains("PID \(foreign.pid)") && result.stderr.contains("not by this project"), "\(result)")
        #expect(Date().timeIntervalSince(started) < 20, "a taken port ends the wait without waiting out the timeout")
    }
}
