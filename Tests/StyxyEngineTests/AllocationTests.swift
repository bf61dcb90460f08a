import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyProbe
import StyxyTestSupport
import Testing

/// How new leases choose ports: the order of candidates and each condition of the hybrid check.
@Suite("Allocation")
struct AllocationTests {
    @Test func ownPreferredPortComesFirst() throws {
        let s = try EngineSandbox()
        let report = try s.resolve(try s.manifest("shop", oneService("dev", port: 3050)))
        #expect(report.port("web") == 3050)
        #expect(report.assignment("web")?.status == .new)
        #expect(Set(s.probe.bindTestPorts) == [3050], "only the chosen port needed a bind test")
    }

    @Test func candidatesGoOwnPreferredThenTypePreferredThenRange() throws {
        let s = try EngineSandbox()
        // `functions` prefers 5001-5004 while its range starts at 5000: the range comes last.
        for port in [5050, 5001, 5002, 5003, 5004] { s.probe.failBind(port: UInt16(port)) }
        let report = try s.resolve(try s.manifest("shop", oneService("functions", port: 5050)))
        #expect(report.port("web") == 5000)
        #expect(Array(s.probe.bindTestPorts.prefix(6)) == [5050, 5001, 5002, 5003, 5004, 5000])
    }

    @Test func typePreferredPortsBeatTheStartOfTheRange() throws {
        let s = try EngineSandbox()
        let report = try s.resolve(try s.manifest("shop", oneService("functions")))
        #expect(report.port("web") == 5001)
        s.probe.failBind(port: 5001)
        let next = try s.resolve(try s.manifest("other", oneService("functions")))
        #expect(next.port("web") == 5002, "5001 is leased, so the next preferred port, not 5000")
    }

    /// A service's own `port:` is what its author asked for on a fresh machine: a sibling with no
    /// preference must not take it first merely because its name sorts earlier.
    @Test func aSiblingWithoutAPreferenceDoesNotTakeAnotherServicesPreferredPort() throws {
        let s = try EngineSandbox()
        let report = try s.resolve(try s.manifest("shop", "services:\n  web: { type: dev, port: 3000 }\n  admin: { type: dev }\n"))
        #expect(report.port("web") == 3000, "web prefers 3000 and nothing else holds it")
        #expect(report.port("admin") != 3000)
        // The same for named ports: `functions` prefers 5001 first, which `hub.api` asks for.
        let named = try s.resolve(try s.manifest("emulators", "services:\n  hub:\n    type: functions\n    ports:\n      api: { port: 5001 }\n      aaa: {}\n"))
        #expect(named.port("hub", "api") == 5001)
        #expect(named.port("hub", "aaa") == 5002)
    }

    // MARK: The five conditions, each alone

    @Test func aPortHeldByAnotherLeaseIsSkippedWithoutABindTest() throws {
        let s = try EngineSandbox()
        #expect(try s.resolve(try s.manifest("a", oneService("dev"))).port("web") == 3000)
        let before = s.probe.bindTestPorts.count
        #expect(try s.resolve(try s.manifest("b", oneService("dev"))).port("web") == 3001)
        #expect(!s.probe.bindTestPorts.dropFirst(before).contains(3000), "the ledger refused 3000 before any bind test")
    }

    @Test func aReservedPortIsSkipped() throws {
        let s = try EngineSandbox()
        s.catalog = try s.loadCatalog(config: "reserved:\n  - 3000\n  - [3002, 3003]\n")
        #expect(s.catalog.isReserved(3000) && s.catalog.isReserved(3003))
        let report = try s.resolve(try s.manifest("shop", "services:\n  web: { type: dev }\n  api: { type: dev, env: API_PORT }\n"))
        #expect(Set([report.port("web"), report.port("api")]) == [3001, 3004])
        #expect(s.probe.bindTestPorts.allSatisfy { ![3000, 3002, 3003].contains($0) })
    }

    @Test func theEphemeralRangeIsSkippedForTypeRanges() throws {
        let s = try EngineSandbox(probe: FakePortProbe(ephemeralRange: 2990...3001))
        #expect(try s.resolve(try s.manifest("shop", oneService("dev"))).port("web") == 3002)
        #expect(!s.probe.bindTestPorts.contains(3000) && !s.probe.bindTestPorts.contains(3001))
    }

    @Test func anExplicitRangeMayReachIntoTheEphemeralRange() throws {
        let s = try EngineSandbox(probe: FakePortProbe(ephemeralRange: 32768...60999))
        let inside = try s.resolve(try s.manifest("a", "services:\n  web:\n    range: [40000, 40010]\n"))
        #expect(inside.port("web") == 40000)
        // A preference outside the explicit range is still kept out of the ephemeral range.
        let outside = try s.resolve(try s.manifest("b", "services:\n  web:\n    range: [24000, 24010]\n    port: 40001\n"))
        #expect(outside.port("web") == 24000)
        #expect(!s.probe.bindTestPorts.contains(40001))
    }

    @Test(arguments: [
        (AddressFamily.ipv4, "127.0.0.1"), (.ipv4, "0.0.0.0"), (.ipv6, "::1"), (.ipv6, "::"),
    ])
    func aListenerOnAnyAddressIsSkipped(family: AddressFamily, address: String) throws {
        let s = try EngineSandbox()
        s.probe.addListener(port: 3000, family: family, address: address)
        #expect(try s.resolve(try s.manifest("shop", oneService("dev"))).port("web") == 3001)
        #expect(!s.probe.bindTestPorts.contains(3000), "the snapshot refused 3000 before the bind test")
    }

    @Test(arguments: [BindResult.inUse, .denied(13)])
    func aFailedBindTestIsSkipped(result: BindResult) throws {
        let s = try EngineSandbox()
        s.probe.failBind(port: 3000, with: result)
        #expect(try s.resolve(try s.manifest("shop", oneService("dev"))).port("web") == 3001)
        #expect(s.probe.bindTestPorts.contains(3000), "nothing but the bind test knew 3000 was taken")
    }

    @Test func theBindTestRunsForEveryNewPortInsideManagedRanges() throws {
        let s = try EngineSandbox()
        let yaml = "services:\n  a: { range: [24000, 24099] }\n  b: { range: [24000, 24099] }\n  c: { type: dev }\n"
        let report = try s.resolve(try s.manifest("shop", yaml))
        let chosen = Set(report.assignments.map(\.port))
        #expect(chosen == [24000, 24001, 3000])
        #expect(s.probe.bindTestCalls >= 3)
        #expect(Set(s.probe.bindTestPorts.map(Int.init)) == chosen, "each chosen port was confirmed by the OS, none trusted from the ledger")
        // A port inside a managed range that no lease holds but the OS refuses is passed over.
        s.probe.failBind(port: 24002)
        let other = try s.resolve(try s.manifest("other", "services:\n  a: { range: [24000, 24099] }\n"))
        #expect(other.port("a") == 24003)
    }

    @Test func aPortInTimeWaitIsNotHandedOutAnew() throws {
        let s = try EngineSandbox()
        s.probe.addTimeWait(port: 3000)
        #expect(try s.resolve(try s.manifest("shop", oneService("dev"))).port("web") == 3001)
    }

    // MARK: Shapes of leases

    @Test func sharedServicesAreOneLeaseForEveryProject() throws {
        let s = try EngineSandbox()
        let yaml = "services:\n  ollama: { type: ai, shared: true }\n  web: { type: dev }\n"
        let first = try s.resolve(try s.manifest("a", yaml))
        let second = try s.resolve(try s.manifest("b", yaml))
        #expect(first.port("ollama") == 11430)
        #expect(second.port("ollama") == 11430)
        #expect(second.assignment("ollama")?.status == .kept)
        #expect(second.assignment("ollama")?.shared == true)
        #expect(first.port("web") != second.port("web"))
        let shared = try s.leases().filter { $0.key.service == "ollama" }
        #expect(shared.count == 1)
        #expect(shared.first?.key == LeaseKey.shared(service: "ollama", portName: "default"))
        #expect(shared.first?.isShared == true)
    }

    @Test func namedPortsGetOneLeaseEach() throws {
        let s = try EngineSandbox()
        let yaml = "services:\n  emulators:\n    type: functions\n    ports:\n      ui: {}\n      firestore: { port: 8080 }\n"
        let m = try s.manifest("shop", yaml)
        let report = try s.resolve(m)
        #expect(report.port("emulators", "firestore") == 8080)
        #expect(report.port("emulators", "ui") == 5001)
        #expect(try s.lease(m, "emulators", port: "firestore")?.port == 8080)
        #expect(try s.lease(m, "emulators", port: "ui")?.port == 5001)
        #expect(report.assignment("emulators", "ui")?.env == ["EMULATORS_UI_PORT"])
    }

    @Test func instancesOfOneProjectGetDisjointPorts() throws {
        let s = try EngineSandbox()
        let m = try s.manifest("shop", "services:\n  web: { type: dev }\n  api: { type: api }\n")
        var seen = Set<Int>()
        for instance in ["default", "ci-1", "ci-2"] {
            let report = try s.resolve(m, ResolveOptions(instance: instance))
            #expect(report.instance == instance)
            for assignment in report.assignments { #expect(seen.insert(assignment.port).inserted) }
        }
        #expect(try s.leases().count == 6)
        #expect(try s.lease(m, "web", instance: "ci-2")?.port == 3002)
        // Each instance keeps its own ports on the next run.
        #expect(try s.resolve(m, ResolveOptions(instance: "ci-1")).assignments.allSatisfy { $0.status == .kept })
    }

    @Test func noFreePortIsExit69NamingTheRangeAndWhatHoldsIt() throws {
        let s = try EngineSandbox()
        s.catalog = try s.loadCatalog(config: "reserved: [24003]\n")
        try s.resolve(try s.manifest("holder", "services:\n  api: { range: [24000, 24000] }\n"))
        s.probe.addListener(port: 24001)
        s.probe.failBind(port: 24002)
        let before = s.ledgerBytes()
        let error = #expect(throws: StyxyError.self) {
            try s.resolve(try s.manifest("shop", "services:\n  web: { range: [24000, 24003] }\n"))
        }
        #expect(error?.exitStatus == .noFreePort)
        #expect(ExitStatus.noFreePort.rawValue == 69)
        let text = error?.description ?? ""
        #expect(text.contains("'web'") && text.contains("24000-24003"), "\(text)")
        #expect(text.contains("leased") && text.contains("holder"), "names the lease and its project: \(text)")
        #expect(text.contains("in use by other processes") && text.contains("24001") && text.contains("24002"), "\(text)")
        #expect(text.contains("reserved"), "\(text)")
        #expect(s.ledgerBytes() == before, "a failed resolve writes nothing")
    }
}
