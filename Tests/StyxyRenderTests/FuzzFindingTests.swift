import Foundation
import StyxyCore
@testable import StyxyRender
import Testing

/// Regressions for what the fuzzing work found (docs/fuzzing.md); the inputs are the files in
/// fuzz/findings/, committed as they were found.
@Suite("Fuzz findings: templates")
struct TemplateFuzzFindingTests {
    static let findings: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/fuzz/findings/TemplateFuzzer/"
    }()

    static func compile(_ file: String) throws -> StyxyError? {
        let source = try String(contentsOfFile: findings + file, encoding: .utf8)
        do {
            _ = try OutputTemplate(source: source, name: file, displayName: file)
            return nil
        } catch {
            return error
        }
    }

    @Test func deeplyNestedSectionsAreRefusedBeforeTheLibraryRecursesIntoThem() throws {
        let error = try #require(try Self.compile("crash-stack-overflow-nested-sections-3000.mustache"))
        #expect(error.exitStatus == .invalidInput, "an error with a position, not a crash: \(error)")
        // Distinct names, so only the depth limit can stop it.
        let names = (0..<40).map { "s\($0)" }
        let deep = names.map { "{{#\($0)}}" }.joined() + "x" + names.reversed().map { "{{/\($0)}}" }.joined()
        let refused = #expect(throws: StyxyError.self) { _ = try OutputTemplate(source: deep, name: "deep", displayName: "deep") }
        #expect(refused?.description.contains("sections nest deeper than 32 levels") == true, "\(String(describing: refused))")
    }

    @Test func aListSectionReopenedInsideItselfIsRefused() throws {
        let error = try #require(try Self.compile("timeout-nested-list-sections-25.mustache"))
        #expect(error.description.contains("1:17: error: section 'services' is opened again inside itself"), "\(error)")
    }

    @Test func anOversizedTemplateFileIsRefusedUnread() throws {
        let error = #expect(throws: StyxyError.self) {
            _ = try TemplateStore.source(reference: "slow-unit-quadratic-parse-8000-tags.mustache", relativeTo: String(Self.findings.dropLast()))
        }
        #expect(error?.exitStatus == .invalidInput)
        #expect(error?.description.contains("larger than 64 KiB") == true)
    }
}
