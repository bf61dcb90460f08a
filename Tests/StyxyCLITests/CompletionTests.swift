import Foundation
import Testing

@testable import StyxyCLI

/// Shell completion of the values only the project knows: its services, its instances, the types.
@Suite("Shell completions")
struct CompletionTests {
    @Test func theManifestIsTakenFromTheWordsTyped() {
        #expect(Completions.manifestWord(["styxy", "resolve", "-m", "a/b.yaml", "--instance", ""]) == "a/b.yaml")
        #expect(Completions.manifestWord(["styxy", "env", "--manifest", "x.yaml"]) == "x.yaml")
        #expect(Completions.manifestWord(["styxy", "env", "--manifest=y.yaml"]) == "y.yaml")
        #expect(Completions.manifestWord(["styxy", "env", "-m"]) == nil, "no value typed yet")
        #expect(Completions.manifestWord(["styxy", "lease", "release", ""]) == nil)
    }

    /// Through the binary, the way the scripts `--generate-completion-script` writes call it:
    /// `styxy ---completion SUBCOMMAND -- ARGUMENT WORD_INDEX CURSOR WORDS...`.
    @Test func theBinaryAnswersTheScriptsQuestions() throws {
        let s = try Sandbox()
        let block = try PortBlocks.reserve(10)
        let manifest = try s.project("shop", """
            services:
              web:
                range: [\(block.lowerBound), \(block.upperBound)]
              api:
                range: [\(block.lowerBound), \(block.upperBound)]

            """)
        _ = try s.resolve(manifest, ["--instance", "ci-1"])
        _ = try s.resolve(manifest)

        func complete(_ path: [String], _ argument: String, _ words: [String], prefix: String = "") throws -> [String] {
            let typed = words + [prefix]
            let result = try s.runProcess(["---completion"] + path + ["--", argument, String(typed.count - 1), String(prefix.count)] + typed)
            #expect(result.status == 0, "\(result)")
            return result.stdout.split(separator: "\n").map(String.init)
        }
        #expect(try complete(["lease", "release"], "positional@0", ["styxy", "lease", "release", "-m", manifest]) == ["api", "web"])
        #expect(try complete(["lease", "release"], "positional@0", ["styxy", "lease", "release", "-m", manifest], prefix: "w") == ["web"])
        #expect(try complete(["resolve"], "--instance", ["styxy", "resolve", "-m", manifest, "--instance"]) == ["ci-1", "default"])
        #expect(try complete(["scan"], "--type", ["styxy", "scan", "--type"], prefix: "da") == ["database"])
        // Nothing to offer is an empty answer, not an error.
        #expect(try complete(["lease", "release"], "positional@0", ["styxy", "lease", "release", "-m", s.root + "/none.yaml"]) == [])
    }
}
