import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Leases that someone else takes, and leases that stay put.
@Suite("Conflicts and stability")
struct ConflictTests {
    static func shop(_ block: ClosedRange<Int>) -> String {
        """
        services:
          web:
            range: [\(block.lowerBound), \(block.upperBound)]
            port: \(block.lowerBound)
          api:
            range: [\(block.lowerBound + 10), \(block.upperBound)]
        """
    }

    @Test func portsAreStableAcrossRunsAndWarmRunsWriteNothing() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(20)
        let manifest = try s.project("shop", Self.shop(block))
        let first = try s.resolve(manifest)
        #expect(first == ["web.default": block.lowerBound, "api.default": block.lowerBound + 10])
        let bytes = s.ledgerBytes()
        for _ in 0..<3 {
            let again = try s.run(["resolve", "-m", manifest, "--json"])
            #expect(again.status == 0, "\(again)")
            #expect(try again.ports() == first)
            #expect(try again.json()["ledger_changed"] as? Bool == false)
            let statuses = (try again.json()["services"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? String }
            #expect(statuses == ["kept", "kept"])
        }
        #expect(s.ledgerBytes() == bytes, "a warm run leaves the ledger alone")
        // Another project asking for the same ports gets others.
        let other = try s.resolve(try s.project("other", Self.shop(block)))
        #expect(Set(other.values).isDisjoint(with: Set(first.values)))
    }

    @Test func quietPrintsNothingOnSuccessButStillReportsConflictsAndFailures() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(20)
        let folder = s.projectRoot("shop")
        try s.project("shop", Self.shop(block) + "\noutputs:\n  - template: dotenv\n    path: .env\n")
        let first = try s.run(["resolve", "--quiet"], in: folder)
        #expect(first.status == 0 && first.stdout.isEmpty && first.stderr.isEmpty, "\(first)")
        #expect(try String(contentsOfFile: folder + "/.env", encoding: .utf8).contains("WEB_PORT=\(block.lowerBound)"))
        let listener = try TestListener(port: block.lowerBound, address: .any4)
        defer { listener.close() }
        let conflict = try s.run(["resolve", "--quiet"], in: folder)
        #expect(conflict.status == 0 && conflict.stdout.isEmpty, "\(conflict)")
        #expect(conflict.stderr.contains("conflict:") && conflict.stderr.contains(String(block.lowerBound)), "\(conflict)")
        try s.project("shop", "services:\n  web:\n    prot: 1\n")
        let broken = try s.run(["resolve", "--quiet"], in: folder)
        #expect(broken.status == 65 && broken.stdout.isEmpty && broken.stderr.contains("styxy.yaml:3:"), "\(broken)")
    }

    @Test(arguments: TestListener.ipv6Available ? [TestListener.Address.any4, .loopback6] : [.any4])
    func aForeignListenerOnALeasedPortIsReportedFailsWithStrictAndMovesWithReassign(address: TestListener.Address) throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(20)
        let manifest = try s.project("shop", Self.shop(block))
        let leased = block.lowerBound
        #expect(try s.resolve(manifest)["web.default"] == leased)
        let listener = try TestListener(port: leased, address: address)
        defer { listener.close() }
        let pid = Int(getpid())

        let plain = try s.run(["resolve", "-m", manifest])
        #expect(plain.status == 0, "by default a conflict is reported, not fatal: \(plain)")
        #expect(plain.stderr.contains("conflict:") && plain.stderr.contains("PID \(pid)") && plain.stderr.contains(String(leased)), "\(plain)")
        #expect(plain.stderr.contains("next:") && plain.stderr.contains("--reassign"), "\(plain)")

        let json = try s.run(["resolve", "-m", manifest, "--json"])
        let finding = try #require((try json.json()["findings"] as? [[String: Any]])?.first, "\(json)")
        #expect(finding["severity"] as? String == "conflict" && finding["port"] as? Int == leased)
        let web = try #require((try json.json()["services"] as? [[String: Any]])?.first { $0.service == "web" })
        let heldBy = try #require(web["held_by"] as? [String: Any])
        #expect(heldBy["class"] as? String == "foreign")
        #expect((heldBy["holders"] as? [[String: Any]])?.first?["pid"] as? Int == pid)

        let strict = try s.run(["resolve", "-m", manifest, "--strict"])
        #expect(strict.status == 1, "\(strict)")
        #expect(strict.stderr.contains("conflict:") && strict.stderr.contains("PID \(pid)"), "\(strict)")
        #expect(try s.leases().first { $0.service == "web" }?.port == leased, "reporting moves nothing")

        let moved = try s.run(["resolve", "-m", manifest, "--reassign", "--json"])
        #expect(moved.status == 0, "\(moved)")
        let entry = try #require((try moved.json()["services"] as? [[String: Any]])?.first { $0.service == "web" })
        let fresh = try #require(entry["port"] as? Int)
        #expect(fresh != leased && block.contains(fresh) && fresh != block.lowerBound + 10)
        #expect(entry["status"] as? String == "moved" && entry["previous_port"] as? Int == leased)

        let lease = try #require(try s.leases().first { $0.service == "web" })
        #expect(lease.port == fresh)
        #expect(lease["retired_ports"] == nil, "the move settled once resolve finished: \(lease)")
        let after = try s.run(["resolve", "-m", manifest, "--strict", "--json"])
        #expect(after.status == 0, "\(after)")
        #expect(try after.ports()["web.default"] == fresh)
    }

    @Test(.enabled(if: Python.path != nil, "needs python3 for a listener in another process"))
    func aListenerInAnotherProcessIsNamedByItsPid() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(20)
        let manifest = try s.project("shop", Self.shop(block))
        #expect(try s.resolve(manifest)["web.default"] == block.lowerBound)
        let child = try s.python(Sandbox.listenScript(port: block.lowerBound, host: "127.0.0.1", ipv6: false), cwd: "/")
        defer { child.kill(); child.wait(timeout: 5) }

        let check = try s.run(["check", String(block.lowerBound), "--json"])
        #expect(check.status == 1, "\(check)")
        let holders = (try check.json()["ports"] as? [[String: Any]])?.first?["holders"] as? [[String: Any]] ?? []
        #expect(holders.first?["pid"] as? Int == Int(child.pid), "\(holders)")
        let command = holders.first?["command"] as? String
        #expect(command?.contains("python") == true, "\(holders)")

        let strict = try s.run(["resolve", "-m", manifest, "--strict"])
        #expect(strict.status == 1 && strict.stderr.contains("PID \(child.pid)"), "\(strict)")
    }

    @Test(.enabled(if: Python.path != nil, "needs python3 for a listener in another process"))
    func aHoldersCommandLineCannotBreakLinesOrDriveTheTerminal() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(20)
        let manifest = try s.project("shop", Self.shop(block))
        #expect(try s.resolve(manifest)["web.default"] == block.lowerBound)
        // The script spans lines, and carries a raw ESC that would clear the screen if printed.
        let script = "_ = '\u{1b}[2J'\n" + Sandbox.listenScript(port: block.lowerBound, host: "127.0.0.1", ipv6: false)
        let child = try s.python(script, cwd: "/")
        defer { child.kill(); child.wait(timeout: 5) }

        let check = try s.run(["check", String(block.lowerBound)])
        let strict = try s.run(["resolve", "-m", manifest, "--strict"])
        let scan = try s.run(["scan", "--range", "\(block.lowerBound)-\(block.lowerBound)"])
        for (name, result, text) in [("check", check, check.stdout), ("resolve", strict, strict.stderr), ("scan", scan, scan.stdout)] {
            #expect(text.contains("PID \(child.pid)") || text.contains(String(child.pid)), "\(name): \(result)")
            #expect(!text.unicodeScalars.contains("\u{1b}"), "\(name) printed a raw ESC: \(result)")
            #expect(text.contains(#"\u{1b}[2J"#) && text.contains(#"\nimport socket"#), "\(name): \(result)")
            #expect(!text.split(separator: "\n").contains { $0.hasPrefix("import socket") }, "\(name) broke a line: \(result)")
        }
        // JSON keeps the command as it is; its encoder escapes it.
        let json = try s.run(["check", String(block.lowerBound), "--json"])
        let holders = (try json.json()["ports"] as? [[String: Any]])?.first?["holders"] as? [[String: Any]]
        #expect((holders?.first?["command"] as? String)?.contains("\u{1b}[2J") == true, "\(json)")
    }

    @Test(.enabled(if: Python.path != nil, "needs python3 for a listener in another process"))
    func aListenerRunningInsideTheProjectIsNotAConflict() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(20)
        let manifest = try s.project("shop", Self.shop(block))
        #expect(try s.resolve(manifest)["web.default"] == block.lowerBound)
        let child = try s.python(Sandbox.listenScript(port: block.lowerBound, host: "0.0.0.0", ipv6: false), cwd: s.projectRoot("shop"))
        defer { child.kill(); child.wait(timeout: 5) }

        let result = try s.run(["resolve", "-m", manifest, "--strict", "--json"])
        #expect(result.status == 0, "\(result)")
        #expect((try result.json()["findings"] as? [Any])?.isEmpty == true, "\(result)")
        let web = try #require((try result.json()["services"] as? [[String: Any]])?.first { $0.service == "web" })
        let heldBy = try #require(web["held_by"] as? [String: Any], "\(web)")
        #expect(heldBy["class"] as? String == "this_project")
        #expect((heldBy["holders"] as? [[String: Any]])?.first?["pid"] as? Int == Int(child.pid))
        #expect(web["port"] as? Int == block.lowerBound)
    }
}
