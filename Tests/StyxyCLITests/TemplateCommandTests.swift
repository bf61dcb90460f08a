import Foundation
import Testing

/// `styxy template ls` and `show`: the built-ins a user starts a template of their own from.
@Suite("Template commands")
struct TemplateCommandTests {
    @Test func showPrintsEachBuiltinExactlyAsItsSource() throws {
        let s = try Sandbox()
        let listed = try s.run(["template", "ls", "--json"])
        #expect(listed.status == 0, "\(listed)")
        let names = try #require(try listed.json()["templates"] as? [String])
        let folder = StyxyBinary.repositoryRoot + "/templates"
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasSuffix(".mustache") }.map { String($0.dropLast(".mustache".count)) }.sorted()
        #expect(names == onDisk)
        for name in names {
            let shown = try s.run(["template", "show", name])
            let source = try String(contentsOfFile: "\(folder)/\(name).mustache", encoding: .utf8)
            #expect(shown.status == 0 && shown.stdout == source, "\(name)")
        }
    }

    @Test func anUnknownNameIsAUsageErrorNamingTheBuiltins() throws {
        let shown = try Sandbox().run(["template", "show", "dotenvv"])
        #expect(shown.status == 64)
        #expect(shown.stderr.contains("no built-in template named 'dotenvv'") && shown.stderr.contains("dotenv"), "\(shown)")
    }
}
