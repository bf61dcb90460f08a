import Foundation
import StyxyCore
@testable import StyxyManifest
import Testing

/// Regressions for the manifest inputs the fuzzing work found (docs/fuzzing.md).
@Suite("Fuzz findings: manifests")
struct ManifestFuzzFindingTests {
    static func finding(_ name: String) throws -> [UInt8] {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return Array(try Data(contentsOf: url.appendingPathComponent("fuzz/findings/ManifestFuzzer/\(name)")))
    }

    static func diagnostics(_ bytes: [UInt8]) -> [String] {
        let loader = ManifestLoader(catalog: Catalog.builtin(), builtinTemplates: ["dotenv"])
        do {
            _ = try loader.parse(bytes, path: "fuzz.yaml", root: "/nonexistent")
            return []
        } catch {
            return error.diagnostics.map(\.rendered)
        }
    }

    /// 10,000 list items once took seconds (every append copied the list); now it is one pass.
    /// The same shape at 40,000 items must still answer, with its one problem.
    @Test func longListsLoadInOnePass() throws {
        #expect(Self.diagnostics(try Self.finding("timeout-yaml-long-sequence-10000.yaml")).count == 1)
        let big = "services:\n  web:\n    type: dev\nunknown:\n" + (0..<40_000).map { "  - x\($0)\n" }.joined()
        #expect(Self.diagnostics(Array(big.utf8)).count == 1)
    }

    /// `styxy validate` called a manifest with `path: ".env\0.bak"` valid, and `resolve` then
    /// failed at the writer with exit 73; the loader refuses it now, where it is written.
    @Test func anOutputPathHoldingNULIsRefusedAtItsLine() throws {
        #expect(Self.diagnostics(try Self.finding("accepted-nul-in-output-path.yaml"))
                    == [#"fuzz.yaml:7:11: error: outputs[0].path: output path '.env\u{0}.bak' contains a NUL byte"#])
    }

    @Test func everyDiagnosticIsOneLineWithoutControlCharacters() throws {
        let lines = Self.diagnostics(try Self.finding("oneline-control-characters-in-diagnostics.yaml"))
        #expect(lines.count == 2, "\(lines)")
        for line in lines {
            #expect(!line.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }, "\(line.debugDescription)")
        }
        #expect(lines.contains { $0.contains(#"unknown service type 'a\nb'"#) }, "\(lines)")
    }
}

@Suite("Fuzz findings: commands")
struct CommandFuzzFindingTests {
    /// A command of 10,000 tags made `validate` spend seconds in swift-mustache's quadratic parser.
    @Test func aHugeCommandIsRefusedUnparsed() throws {
        let lines = ManifestFuzzFindingTests.diagnostics(try ManifestFuzzFindingTests.finding("slow-unit-quadratic-command-10000-tags.yaml"))
        #expect(lines.contains { $0.contains("the command is longer than 4096 bytes") }, "\(lines)")
    }
}
