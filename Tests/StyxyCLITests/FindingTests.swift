import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every decision that differs from what the manifest asked for says why: in the table's STATUS,
/// on stderr and in `--json` `findings` (DESIGN §11).
@Suite("Findings: why a port differs from the manifest's")
struct FindingTests {
    static func web(_ block: ClosedRange<Int>, preferring port: Int) -> String {
        "services:\n  web:\n    range: [\(block.lowerBound), \(block.upperBound)]\n    port: \(port)\n"
    }

    static func findings(_ result: RunResult) throws -> [[String: Any]] {
        try #require(try result.json()["findings"] as? [[String: Any]], "\(result)")
    }

    @Test func aPreferenceLeasedToAnotherProjectNamesThatLease() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        _ = try s.resolve(try s.project("alpha", Self.web(block, preferring: block.lowerBound)))
        let beta = try s.project("beta", Self.web(block, preferring: block.lowerBound))
        let json = try s.run(["resolve", "-m", beta, "--json", "--dry-run"])
        let finding = try #require(try Self.findings(json).first)
        #expect(finding["kind"] as? String == "preference_unavailable" && finding["reason"] as? String == "leased", "\(finding)")
        #expect(finding["wanted"] as? Int == block.lowerBound && finding["got"] as? Int == block.lowerBound + 1, "\(finding)")
        let lease = try #require(finding["lease"] as? [String: Any], "\(finding)")
        #expect(lease["project"] as? String == "alpha" && lease["root"] as? String == s.projectRoot("alpha") && lease["instance"] as? String == "default")

        let table = try s.run(["resolve", "-m", beta])
        #expect(table.stdout.contains("new (\(block.lowerBound): alpha)"), "\(table)")
        #expect(table.stderr.contains("web prefers \(block.lowerBound), but it is leased to alpha/web"), "\(table)")
    }

    @Test func aPreferenceHeldByAProcessNamesTheProcess() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let listener = try TestListener(port: block.lowerBound, address: .any4)
        defer { listener.close() }
        let json = try s.run(["resolve", "-m", try s.project("app", Self.web(block, preferring: block.lowerBound)), "--json"])
        let finding = try #require(try Self.findings(json).first)
        #expect(finding["reason"] as? String == "in_use" && finding["got"] as? Int == block.lowerBound + 1, "\(finding)")
        let holder = try #require(finding["holder"] as? [String: Any], "\(finding)")
        #expect(holder["pid"] as? Int == Int(getpid()) && holder["class"] as? String == "foreign", "\(holder)")
    }

    @Test func aKeptLeaseWhosePortIsHeldShowsConflictInTheTable() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let manifest = try s.project("app", Self.web(block, preferring: block.lowerBound))
        _ = try s.resolve(manifest)
        let listener = try TestListener(port: block.lowerBound, address: .any4)
        defer { listener.close() }
        let table = try s.run(["resolve", "-m", manifest])
        let row = table.stdout.split(separator: "\n").first { $0.hasPrefix("web") }.map(String.init) ?? ""
        #expect(row.hasSuffix("conflict"), "\(table)")
        let finding = try #require(try Self.findings(try s.run(["resolve", "-m", manifest, "--json"])).first)
        #expect(finding["kind"] as? String == "conflict" && (finding["holder"] as? [String: Any])?["pid"] as? Int == Int(getpid()), "\(finding)")
    }

    @Test func anUnremarkableResolveHasNoFindings() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let json = try s.run(["resolve", "-m", try s.project("app", Self.web(block, preferring: block.lowerBound)), "--json"])
        #expect(try Self.findings(json).isEmpty, "\(json)")
    }
}

@Suite("doctor: leases against reality")
struct DoctorConflictTests {
    @Test func aLeasedPortHeldByAForeignProcessIsAProblemWithItsHolder() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let manifest = try s.project("app", FindingTests.web(block, preferring: block.lowerBound))
        _ = try s.resolve(manifest)
        let healthy = try s.run(["doctor"])
        #expect(healthy.status == 0, "\(healthy)")

        let listener = try TestListener(port: block.lowerBound, address: .any4)
        defer { listener.close() }
        let human = try s.run(["doctor"])
        #expect(human.status == 1, "\(human)")
        #expect(human.stdout.contains("port \(block.lowerBound) of app/web [default] is held by PID \(getpid())"), "\(human)")
        let json = try s.run(["doctor", "--json"])
        let ok = try json.json()["ok"] as? Bool
        #expect(json.status == 1 && ok == false, "\(json)")
        let conflict = try #require((try json.json()["conflicts"] as? [[String: Any]])?.first, "\(json)")
        #expect((conflict["lease"] as? [String: Any])?.port == block.lowerBound, "\(conflict)")
        #expect(((conflict["held_by"] as? [String: Any])?["holders"] as? [[String: Any]])?.first?["pid"] as? Int == Int(getpid()), "\(conflict)")
    }

    @Test func thisProjectsOwnServerOnItsPortIsNoConflict() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let manifest = try s.project("app", FindingTests.web(block, preferring: block.lowerBound))
        _ = try s.resolve(manifest)
        let server = try s.python(Sandbox.listenScript(port: block.lowerBound), cwd: s.projectRoot("app"))
        defer { server.kill() }
        let result = try s.run(["doctor"])
        #expect(result.status == 0 && !result.stdout.contains("problem"), "\(result)")
    }
}

@Suite("Reserved preferences fall back")
struct ReservedPreferenceTests {
    @Test func aPreferenceReservedByTheUserFallsBackWithAFindingAndValidatesWithAWarning() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let config = s.root + "/config.yaml"
        try Data("reserved: [\(block.lowerBound)]\n".utf8).write(to: URL(fileURLWithPath: config))
        let manifest = try s.project("app", FindingTests.web(block, preferring: block.lowerBound))
        let validate = try s.run(["validate", "-m", manifest], environment: ["STYXY_CONFIG": config])
        #expect(validate.status == 0 && validate.stderr.contains("warning:") && validate.stderr.contains("reserved"), "\(validate)")
        let json = try s.run(["resolve", "-m", manifest, "--json"], environment: ["STYXY_CONFIG": config])
        #expect(json.status == 0, "\(json)")
        let finding = try #require(try FindingTests.findings(json).first)
        #expect(finding["reason"] as? String == "reserved" && finding["got"] as? Int == block.lowerBound + 1, "\(finding)")
    }
}

@Suite("Holders in nested projects")
struct NestedProjectTests {
    @Test func aServerInANestedProjectIsThatProjectsNotItsParents() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let parent = try s.project("mono", FindingTests.web(block, preferring: block.lowerBound))
        let child = try s.project("mono/pkg", "services:\n  docs:\n    range: [\(block.lowerBound + 5), \(block.upperBound)]\n")
        _ = try s.resolve(parent)
        _ = try s.resolve(child)
        let server = try s.python(Sandbox.listenScript(port: block.lowerBound), cwd: s.projectRoot("mono/pkg"))
        defer { server.kill() }
        let json = try s.run(["resolve", "-m", parent, "--json"])
        let finding = try #require(try FindingTests.findings(json).first, "\(json)")
        #expect(finding["kind"] as? String == "conflict" && (finding["holder"] as? [String: Any])?["class"] as? String == "other_project",
                "\(finding)")
        #expect(try s.run(["doctor"]).stdout.contains("of mono/web [default] is held by"), "doctor reports it as a conflict too")
    }
}

@Suite("check and scan see UDP")
struct UDPVisibilityTests {
    static func udpScript(port: Int) -> String {
        """
        import socket, time
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('127.0.0.1', \(port)))
        print('ready', flush=True)
        time.sleep(120)
        """
    }

    @Test func aBoundUDPSocketMakesThePortBusyAndIsListedWithItsProcess() throws {
        let s = try Sandbox()
        let port = try PortBlocks.reserve(10).lowerBound
        let holder = try s.python(Self.udpScript(port: port), cwd: s.userHome)
        defer { holder.kill() }
        let check = try s.run(["check", String(port), "--json"])
        #expect(check.status == 1, "\(check)")
        let row = try #require((try check.json()["ports"] as? [[String: Any]])?.first)
        #expect((row["state"] as? String)?.contains("udp bound") == true && (row["holders"] as? [[String: Any]])?.first?["pid"] as? Int == Int(holder.pid),
                "\(row)")
        let tcpOnly = try s.run(["check", String(port), "--protocol", "tcp"])
        #expect(tcpOnly.status == 0, "TCP alone is free: \(tcpOnly)")
        let scan = try s.run(["scan", "--range", "\(port)-\(port)", "--json"])
        let listed = try #require(try scan.json()["ports"] as? [[String: Any]])
        #expect(listed.count == 1 && listed.first?["protocol"] as? String == "udp", "\(listed)")
    }
}
