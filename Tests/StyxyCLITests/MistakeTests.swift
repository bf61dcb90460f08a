import Foundation
import Testing

/// Names of things that do not exist are errors with "did you mean", never a silent success.
@Suite("Mistakes are errors")
struct MistakeTests {
    static func stack(_ block: ClosedRange<Int>) -> String {
        "services:\n  web:\n    range: [\(block.lowerBound), \(block.lowerBound + 4)]\n  api:\n    range: [\(block.lowerBound + 5), \(block.upperBound)]\n"
    }

    @Test func releasingAnUnknownServiceIsExit1AndReleasesNothing() throws {
        let s = try Sandbox()
        let manifest = try s.project("shop", Self.stack(try PortBlocks.reserve(10)))
        _ = try s.resolve(manifest)
        let bytes = s.ledgerBytes()
        let typo = try s.run(["lease", "release", "-m", manifest, "wbe"])
        #expect(typo.status == 1 && typo.stderr.contains("did you mean 'web'"), "\(typo)")
        #expect(s.ledgerBytes() == bytes, "nothing was released")
    }

    @Test func repeatedInstancesAreAList() throws {
        let s = try Sandbox()
        let manifest = try s.project("shop", Self.stack(try PortBlocks.reserve(10)))
        for instance in ["job-1", "job-2", "job-3"] { _ = try s.resolve(manifest, ["--instance", instance]) }
        let result = try s.run(["lease", "release", "-m", manifest, "--instance", "job-1", "--instance", "job-2", "--json"])
        #expect(result.status == 0, "\(result)")
        let left = Set(try s.leases().compactMap { $0["instance"] as? String })
        #expect(left == ["job-3"], "\(left)")
    }

    @Test func aProjectNameSharedByTwoRootsIsRefusedListingThem() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let one = try s.project("one", "project: shop\n" + Self.stack(block))
        let two = try s.project("two", "project: shop\n" + Self.stack(block))
        _ = try s.resolve(one)
        _ = try s.resolve(two)
        let ambiguous = try s.run(["lease", "release", "--project", "shop"])
        #expect(ambiguous.status == 1 && ambiguous.stderr.contains(s.projectRoot("one")) && ambiguous.stderr.contains(s.projectRoot("two"))
                && ambiguous.stderr.contains("--root"), "\(ambiguous)")
        #expect(try s.leases().count == 4)
        let picked = try s.run(["lease", "release", "--root", s.projectRoot("two")])
        #expect(picked.status == 0, "\(picked)")
        #expect(Set(try s.leases().map(\.root)) == [s.projectRoot("one")])
    }

    @Test func aMisspeltCommandIsExit64WithDidYouMean() throws {
        let s = try Sandbox()
        let result = try s.run(["reslove"])
        #expect(result.status == 64 && result.stderr.contains("did you mean 'resolve'"), "\(result)")
        let nested = try s.run(["lease", "relase"])
        #expect(nested.status == 64 && nested.stderr.contains("did you mean 'release'"), "\(nested)")
    }

    /// A command's `{{…}}` mistake is reported at its own `command:` line, in the same run as the
    /// file's other mistakes (an invalid service name, a clash between services).
    @Test func commandMistakesAreLocatedAndReportedWithEveryOtherMistake() throws {
        let s = try Sandbox()
        let manifest = try s.project("shop", """
            services:
              web:
                type: dev
                command: vite --port {{port}} {{nope}}
              Bad_Name:
                type: dev
              api:
                type: api
                env: [WEB_PORT]
                command: |
                  node {{#x}}
            """)
        let result = try s.run(["validate", "-m", manifest])
        #expect(result.status == 65, "\(result)")
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasSuffix("styxy.yaml:4:14: error: services.web.command: unknown name 'nope' (column 24 of the command) (a command can use port, name, ports.<name> and variable names such as WEB_PORT)") },
                "\(result.stderr)")
        #expect(lines.contains { $0.contains("styxy.yaml:5:3: error: services.Bad_Name: invalid service name") }, "\(result.stderr)")
        #expect(lines.contains { $0.contains("styxy.yaml:9:10: error: services.api.env: variable 'WEB_PORT' is also set by web") }, "\(result.stderr)")
        #expect(lines.contains { $0.contains("styxy.yaml:10:14: error: services.api.command: section 'x' is never closed") }, "\(result.stderr)")
    }

    /// Alone, a command's mistake is found when the outputs are rendered, at the same place.
    @Test func aCommandMistakeAloneIsAtItsCommandLineToo() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let manifest = try s.project("shop", "services:\n  web:\n    range: [\(block.lowerBound), \(block.upperBound)]\n    command: vite {{nope}}\n")
        for arguments in [["validate", "-m", manifest], ["resolve", "-m", manifest]] {
            let result = try s.run(arguments)
            #expect(result.status == 65 && result.stderr.contains("styxy.yaml:4:14: error: services.web.command: unknown name 'nope' (column 8 of the command)"),
                    "\(result)")
        }
        #expect(try s.leases().isEmpty, "nothing was leased")
    }

    /// A command naming another service's variable is checked against every service's names,
    /// including the services that have mistakes of their own.
    @Test func aCommandMayNameAnotherServicesVariableEvenWhenThatServiceIsInvalid() throws {
        let s = try Sandbox()
        let manifest = try s.project("shop", """
            services:
              web:
                type: dev
                command: vite --port {{port}} --api {{API_PORT}}
              api:
                type: nonsense
            """)
        let result = try s.run(["validate", "-m", manifest])
        #expect(result.status == 65 && result.stderr.contains("unknown service type 'nonsense'"), "\(result)")
        #expect(!result.stderr.contains("services.web.command"), "\(result.stderr)")
    }
}
