import StyxyCore
@testable import StyxyEngine
import Testing

/// The small types the engine is spelled in: lease keys and their owners, port labels, ASCII
/// classes. (The ASCII and label checks belong with StyxyCore, which has no test target yet.)
@Suite("Domain types")
struct DomainTypesTests {
    @Test func sharedKeysSortFirstAndEqualOnlyThemselves() {
        let shared = LeaseKey.shared(service: "ollama", portName: "default")
        let project = LeaseKey(root: "/a", service: "ollama", portName: "default", instance: "default")
        #expect(shared < project && !(project < shared))
        #expect(shared != project)
        #expect(shared.isShared && shared.root == nil && shared.owner.ledgerRoot == "")
        #expect(!project.isShared && project.root == "/a" && project.owner.ledgerRoot == "/a")
        #expect(LeaseKey(root: "", service: "ollama", portName: "default", instance: "default") != shared,
                "an empty root is not the ledger's spelling of shared inside the program")
    }

    @Test func rootsCompareAsBytes() {
        // `é` precomposed and `e` + U+0301 are equal Swift strings but two folders on Linux.
        let composed = LeaseKey(root: "/caf\u{E9}", service: "web", portName: "default", instance: "default")
        let decomposed = LeaseKey(root: "/cafe\u{301}", service: "web", portName: "default", instance: "default")
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed, composed]).count == 2)
        #expect(decomposed < composed, "0x65 ('e') sorts before 0xC3 (the first byte of 'é')")
        #expect(LeaseKey.Owner.project(root: "/caf\u{E9}") != .project(root: "/cafe\u{301}"))
    }

    @Test func aKeyOrdersByOwnerInstanceServiceThenPortName() {
        func key(_ root: String, _ instance: String, _ service: String, _ port: String) -> LeaseKey {
            LeaseKey(root: root, service: service, portName: port, instance: instance)
        }
        let ordered = [key("/a", "ci", "web", "default"), key("/a", "default", "api", "default"), key("/a", "default", "web", "a"),
                       key("/a", "default", "web", "b"), key("/b", "ci", "api", "default")]
        #expect(ordered.shuffled().sorted() == ordered)
    }

    @Test func aLabelNamesADefaultPortByItsServiceAlone() {
        #expect(PortLabel(service: "web").description == "web")
        #expect(PortLabel(service: "web", port: "default").description == "web")
        #expect(PortLabel(service: "emulators", port: "ui").description == "emulators.ui")
        #expect("\(LeaseKey.shared(service: "ollama", portName: "api").label)" == "ollama.api")
        #expect(PortLabel(service: "a", port: "z") < PortLabel(service: "b", port: "a"))
    }

    @Test func theReportLooksPortsUpByLabel() throws {
        let s = try EngineSandbox()
        let m = try s.manifest("app", "services:\n  web:\n    type: dev\n  emulators:\n    type: functions\n    ports:\n      ui: {}\n      hub: {}\n")
        let report = try s.resolve(m)
        for service in m.services {
            for port in service.ports {
                let assigned = report.assignments.first { $0.service == service.name && $0.portName == port.name }?.port
                #expect(report.port(of: service.label(of: port)) == assigned)
                #expect(report.port(of: service, port) == assigned)
            }
        }
        #expect(report.port(of: PortLabel(service: "emulators")) == nil, "a service of named ports has no default port")
        #expect(report.port(of: PortLabel(service: "db")) == nil)
    }

    /// Every byte against the ranges the code used to spell out by hand.
    @Test func asciiClassesMatchTheirRanges() {
        for value in 0...255 {
            let byte = UInt8(value)
            #expect(ASCII.isLower(byte) == (0x61...0x7a).contains(byte), "\(byte)")
            #expect(ASCII.isUpper(byte) == (0x41...0x5a).contains(byte), "\(byte)")
            #expect(ASCII.isDigit(byte) == (0x30...0x39).contains(byte), "\(byte)")
            #expect(ASCII.isLetter(byte) == (ASCII.isLower(byte) || ASCII.isUpper(byte)))
            #expect(ASCII.isAlphanumeric(byte) == (ASCII.isLetter(byte) || ASCII.isDigit(byte)))
            #expect(ASCII.digitValue(byte) == (ASCII.isDigit(byte) ? byte - 0x30 : nil), "\(byte)")
            let hex = UInt8(String(UnicodeScalar(byte)), radix: 16)
            #expect(ASCII.hexValue(byte) == (byte < 0x80 ? hex : nil), "\(byte)")
            let scalar = Unicode.Scalar(byte)
            #expect(ASCII.isAlphanumeric(scalar) == (byte < 0x80 && ASCII.isAlphanumeric(byte)), "\(byte)")
        }
        for scalar in ["\u{E9}", "\u{663}", "\u{FF21}", "\u{212A}"].compactMap(\.unicodeScalars.first) {
            #expect(!ASCII.isLetter(scalar) && !ASCII.isDigit(scalar) && !ASCII.isLower(scalar) && !ASCII.isUpper(scalar),
                    "\(scalar) is a letter or digit, but not an ASCII one")
        }
    }
}
