import Foundation
import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyRender
@testable import StyxyKit
import Testing

/// Every example manifest in manifests/ renders to the checked-in outputs under
/// Tests/Fixtures/golden/examples/<example>/ (STYXY_UPDATE_GOLDENS=1 rewrites them). Ports are
/// fixed stand-ins (each port's preference, else the next free one from its range), so the files
/// do not depend on the machine. The checkout's own path (ports.json names the project root) is
/// written as `<repository>` so the goldens hold wherever the repository is cloned.
@Suite("Example manifests render to their goldens")
struct ExampleGoldenTests {
    static let root = StyxyBinary.repositoryRoot
    static let canonicalRoot = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
    static let examples: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: root + "/manifests")) ?? [])
        .filter { FileManager.default.fileExists(atPath: root + "/manifests/\($0)/styxy.yaml") }.sorted()

    @Test func thereAreExamples() {
        #expect(Self.examples.contains("minimal") && Self.examples.contains("full-stack"))
    }

    @Test(arguments: examples)
    func rendersItsGoldens(_ example: String) throws {
        let path = Self.root + "/manifests/\(example)/styxy.yaml"

        let manifest = try ManifestLoader(catalog: Catalog.builtin(), builtinTemplates: Set(TemplateStore.builtinNames)).load(path: path)
        var taken = Set<Int>()
        let planned = try OutputPlan.renderStandIns(manifest, allowedFolders: [manifest.root]) { service, named in
            let port = named.preferred.flatMap { taken.contains($0) ? nil : $0 } ?? service.range.first { !taken.contains($0) } ?? 0
            taken.insert(port)
            return port
        }
        #expect(planned.count == manifest.outputs.count)
        let goldenFolder = Self.root + "/Tests/Fixtures/golden/examples/\(example)/"
        let update = ProcessInfo.processInfo.environment["STYXY_UPDATE_GOLDENS"] == "1"
        for output in planned {
            // What the file holds when written into an empty project.
            let bytes = output.kind == .dotenvBlock ? try DotenvBlock.merge(body: output.content, into: nil) : Array(output.content.utf8)
            let text = String(decoding: bytes, as: UTF8.self)
                .replacingOccurrences(of: Self.canonicalRoot, with: "<repository>")
                .replacingOccurrences(of: Self.root, with: "<repository>")
            let golden = goldenFolder + output.relativePath
            if update {
                try FileManager.default.createDirectory(atPath: (golden as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(text.utf8).write(to: URL(fileURLWithPath: golden))
                continue
            }
            let expected = try #require(try? String(contentsOfFile: golden, encoding: .utf8),
                                        "missing \(golden); run with STYXY_UPDATE_GOLDENS=1 and review it")
            #expect(text == expected, "\(example)/\(output.relativePath) differs from its golden (STYXY_UPDATE_GOLDENS=1 rewrites):\n\(LineDiff.unified(old: expected, new: text, oldName: "golden", newName: "rendered"))")
        }
    }
}
