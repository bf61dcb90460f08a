import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The heavy tests: many real processes at once. Serialized among themselves so that each has
/// the machine's cores to itself; they still run beside the lighter suites.
@Suite("Many processes", .serialized)
struct ManyProcesses {}

extension ManyProcesses {
    /// A manifest of `count` services, all drawing from one shared range.
    static func services(_ count: Int, in block: ClosedRange<Int>) -> String {
        "services:\n" + (0..<count).map { "  s\($0): { range: [\(block.lowerBound), \(block.upperBound)] }\n" }.joined()
    }

    @Suite("Concurrency")
    struct Concurrency {
        @Test func twentyFourProjectsOfEightServicesResolvingAtOnceGetDistinctPorts() throws {
            let s = try Sandbox()
            let block = try PortBlocks.reserve(256)
            let projects = 24, services = 8
            let manifests = try (0..<projects).map { try s.project("p\($0)", ManyProcesses.services(services, in: block)) }
            let children = try manifests.map { try s.spawn(["resolve", "-m", $0, "--json"]) }
            for child in children { #expect(child.wait(timeout: 90), "a resolve hung") }

            var reported: [String: Int] = [:]
            for (index, child) in children.enumerated() {
                let result = child.result()
                #expect(result.status == 0, "project p\(index): \(result)")
                guard result.status == 0 else { continue }
                let ports = try result.ports()
                #expect(ports.count == services)
                for (name, port) in ports { reported["p\(index)/\(name)"] = port }
            }
            #expect(reported.count == projects * services)
            #expect(Set(reported.values).count == reported.count, "two services were told the same port")
            #expect(reported.values.allSatisfy(block.contains))

            let leases = try s.leases()
            #expect(leases.count == projects * services)
            #expect(Set(leases.compactMap(\.port)).count == leases.count, "the ledger holds a port twice")
            for lease in leases {
                let key = "\((lease.root as NSString).lastPathComponent)/\(lease.service).default"
                #expect(reported[key] == lease.port, "\(key): reported \(String(describing: reported[key])), ledger \(String(describing: lease.port))")
            }
        }

        @Test func sixteenProcessesResolvingOneProjectAgreeOnItsPorts() throws {
            let s = try Sandbox()
            let block = try PortBlocks.reserve(64)
            let manifest = try s.project("same", ManyProcesses.services(8, in: block))
            let children = try (0..<16).map { _ in try s.spawn(["resolve", "-m", manifest, "--json"]) }
            for child in children { #expect(child.wait(timeout: 60), "a resolve hung") }
            var answers: [[String: Int]] = []
            for child in children {
                let result = child.result()
                #expect(result.status == 0, "\(result)")
                if result.status == 0 { answers.append(try result.ports()) }
            }
            #expect(answers.count == 16)
            let first = try #require(answers.first)
            #expect(first.count == 8 && Set(first.values).count == 8)
            #expect(answers.allSatisfy { $0 == first }, "processes disagree: \(answers)")
            let leases = try s.leases()
            #expect(leases.count == 8)
            #expect(Set(leases.compactMap(\.port)) == Set(first.values))
        }
    }
}
