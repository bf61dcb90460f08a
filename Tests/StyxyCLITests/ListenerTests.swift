import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real binary against listeners the test opens itself, on ports it checked were free.
@Suite("Real listeners")
struct ListenerTests {
    /// One service preferring the first port of `block`, in that block.
    static func web(_ block: ClosedRange<Int>) -> String {
        "services:\n  web:\n    range: [\(block.lowerBound), \(block.upperBound)]\n    port: \(block.lowerBound)\n"
    }

    func skipsAListener(on address: TestListener.Address) throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let listener = try TestListener(port: block.lowerBound, address: address)
        defer { listener.close() }
        let ports = try s.resolve(try s.project("shop", Self.web(block)))
        #expect(ports["web.default"] == block.lowerBound + 1, "a listener on \(address):\(block.lowerBound) was not seen")
        // The control: with the listener gone the preferred port is handed out.
        listener.close()
        #expect(try s.resolve(try s.project("control", Self.web(block)))["web.default"] == block.lowerBound)
    }

    @Test(arguments: [TestListener.Address.loopback4, .any4])
    func anIPv4ListenerOnThePreferredPortIsSkipped(address: TestListener.Address) throws {
        try skipsAListener(on: address)
    }

    @Test(.enabled(if: TestListener.ipv6Available, "IPv6 is not available here"), arguments: [TestListener.Address.loopback6, .any6])
    func anIPv6OnlyListenerOnThePreferredPortIsSkipped(address: TestListener.Address) throws {
        try skipsAListener(on: address)
    }

    @Test func checkNamesTheTestProcessAsTheHolder() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(3)
        let busy = block.lowerBound, free = block.lowerBound + 1
        let listener = try TestListener(port: busy, address: .loopback4)
        defer { listener.close() }

        let result = try s.run(["check", String(busy), "--json"])
        #expect(result.status == 1, "\(result)")
        let row = try #require((try result.json()["ports"] as? [[String: Any]])?.first)
        #expect(row["port"] as? Int == busy)
        #expect(row["free"] as? Bool == false)
        #expect(row["state"] as? String == "listening")
        let pids = (row["holders"] as? [[String: Any]] ?? []).compactMap { $0["pid"] as? Int }
        #expect(pids.contains(Int(getpid())), "holders \(pids), the test is PID \(getpid())")

        let table = try s.run(["check", String(busy)])
        #expect(table.status == 1 && table.stdout.contains("PID \(getpid())"), "\(table)")

        let clear = try s.run(["check", String(free), "--json"])
        #expect(clear.status == 0, "\(clear)")
        let freeRow = try #require((try clear.json()["ports"] as? [[String: Any]])?.first)
        #expect(freeRow["free"] as? Bool == true && freeRow["state"] as? String == "free")
        #expect((freeRow["holders"] as? [Any])?.isEmpty == true)

        #expect(try s.run(["check", String(free), String(busy)]).status == 1, "one busy port is enough")
    }

    @Test(.enabled(if: TestListener.ipv6Available, "IPv6 is not available here"))
    func checkSeesAnIPv6OnlyListener() throws {
        let s = try Sandbox()
        let port = try PortBlocks.reserve(1).lowerBound
        let listener = try TestListener(port: port, address: .loopback6)
        defer { listener.close() }
        let result = try s.run(["check", String(port), "--json"])
        #expect(result.status == 1, "\(result)")
        let row = try #require((try result.json()["ports"] as? [[String: Any]])?.first)
        let pids = (row["holders"] as? [[String: Any]] ?? []).compactMap { $0["pid"] as? Int }
        #expect(pids.contains(Int(getpid())))
    }

    @Test func checkShowsTheLeaseBesideAPort() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(5)
        #expect(try s.resolve(try s.project("shop", Self.web(block)))["web.default"] == block.lowerBound)
        let result = try s.run(["check", String(block.lowerBound), "--json"])
        #expect(result.status == 0, "a lease alone does not make a port busy: \(result)")
        let row = try #require((try result.json()["ports"] as? [[String: Any]])?.first)
        let lease = try #require(row["lease"] as? [String: Any])
        #expect(lease["project"] as? String == "shop" && lease["service"] as? String == "web")
    }

    @Test(arguments: [true, false])
    func checkNamesTimeWait(reuseAddress: Bool) throws {
        let s = try Sandbox()
        let port = try PortBlocks.reserve(2).lowerBound
        try TestListener.makeTimeWait(port: port, reuseAddress: reuseAddress)
        let result = try s.run(["check", String(port), "--json"])
        let row = try #require((try result.json()["ports"] as? [[String: Any]])?.first, "\(result)")
        let state = row["state"] as? String ?? ""
        #expect(state.contains("TIME_WAIT"), "state '\(state)'")
        #expect(row["time_wait"] as? Bool == true)
        #expect((result.status == 0) == (row["free"] as? Bool == true), "\(result)")
        #expect([0, 1].contains(result.status))
        let table = try s.run(["check", String(port)])
        #expect(table.stdout.contains("TIME_WAIT"), "\(table)")
    }

    @Test func resolveNotesTimeWaitOnALeasedPort() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(5)
        let manifest = try s.project("shop", Self.web(block))
        #expect(try s.resolve(manifest)["web.default"] == block.lowerBound)
        try TestListener.makeTimeWait(port: block.lowerBound, reuseAddress: true)

        let result = try s.run(["resolve", "-m", manifest, "--json"])
        #expect(result.status == 0, "\(result)")
        #expect(try result.ports()["web.default"] == block.lowerBound, "a lease keeps its port through a TIME_WAIT")
        let findings = try #require(try result.json()["findings"] as? [[String: Any]])
        #expect(findings.contains { ($0["message"] as? String ?? "").contains("TIME_WAIT") && $0["port"] as? Int == block.lowerBound
                                      && $0["severity"] as? String == "note" }, "\(findings)")
        let human = try s.run(["resolve", "-m", manifest])
        #expect(human.status == 0 && human.stderr.contains("note:") && human.stderr.contains("TIME_WAIT"), "\(human)")
    }

    @Test func noFreePortIsExit69NamingTheRange() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(2)
        let listeners = try block.map { try TestListener(port: $0, address: .any4) }
        defer { listeners.forEach { $0.close() } }
        let manifest = try s.project("shop", "services:\n  web:\n    range: [\(block.lowerBound), \(block.upperBound)]\n")
        let result = try s.run(["resolve", "-m", manifest])
        #expect(result.status == 69, "\(result)")
        #expect(result.stderr.contains("\(block.lowerBound)-\(block.upperBound)") && result.stderr.contains("in use"), "\(result)")
        #expect(s.ledgerBytes() == nil, "nothing was written")
    }
}
