import Foundation
import StyxyCore
@testable import StyxyManifest
import StyxyTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Hostile YAML, generated here rather than committed: each must end in a diagnostic, quickly.
enum HostileYAML {
    static let depth = 20_000

    static let nestedLists = String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
    static let nestedMappings = String(repeating: "{a: ", count: depth) + "b" + String(repeating: "}", count: depth) + "\n"
    /// Block style: `- - - ... x` on one line nests one list per dash.
    static let nestedBlockLists = String(repeating: "- ", count: depth) + "x\n"

    /// "Billion laughs": nine levels of nine aliases each; expanded it would be 9^9 strings.
    static let aliasBomb: String = {
        var lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for level in 1...9 {
            let previous = Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ")
            lines.append("a\(level): &a\(level) [\(previous)]")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    /// The same shape with more aliases than the parser accepts in one document.
    static let aliasFlood: String = {
        let aliases = Array(repeating: "*lol", count: YAMLParser.maximumAliases + 1).joined(separator: ", ")
        return "x: &lol [lol]\nservices: { web: { type: dev, env: [\(aliases)] } }\n"
    }()

    static let invalidUTF8: [UInt8] = Array("services:\n  web:\n    type: ".utf8) + [0xC3, 0x28] + Array("\n".utf8)

    static let cases: [(name: String, bytes: [UInt8])] = [
        ("nested-lists", Array(nestedLists.utf8)),
        ("nested-mappings", Array(nestedMappings.utf8)),
        ("nested-block-lists", Array(nestedBlockLists.utf8)),
        ("alias-bomb", Array(aliasBomb.utf8)),
        ("alias-flood", Array(aliasFlood.utf8)),
        ("invalid-utf8", invalidUTF8),
        ("empty", []),
    ]
}

@Suite("YAML robustness in process")
struct YAMLParserRobustnessTests {
    static func diagnostics(_ bytes: [UInt8]) -> (StyxyCore.ExitStatus, [String])? {
        let outcome = LoadOutcome { () throws(StyxyError) in try builtinLoader().parse(bytes, path: "hostile.yaml", root: "/") }
        if case .failed(let status, let lines) = outcome { return (status, lines) }
        return nil
    }

    @Test("hostile input ends in a diagnostic", arguments: HostileYAML.cases.map(\.name))
    func hostileInputFails(_ name: String) throws {
        let bytes = try #require(HostileYAML.cases.first { $0.name == name }?.bytes)
        let started = ContinuousClock.now
        let result = try #require(Self.diagnostics(bytes), "\(name) loaded")
        #expect(ContinuousClock.now - started < .seconds(5), "\(name) took too long")
        #expect(result.0 == .invalidInput)
        #expect(result.1.count >= 1)
        #expect(result.1.allSatisfy { $0.hasPrefix("hostile.yaml:") }, "\(result.1)")
    }

    @Test func nestingLimitMessages() {
        let limit = YAMLParser.maximumDepth
        #expect(Self.diagnostics(Array(HostileYAML.nestedLists.utf8))?.1 == ["hostile.yaml:1:\(limit + 1): error: the document nests deeper than \(limit) levels"])
        #expect(Self.diagnostics(Array(HostileYAML.nestedMappings.utf8))?.1 == ["hostile.yaml:1:\(4 * limit + 1): error: the document nests deeper than \(limit) levels"])
        #expect(Self.diagnostics(Array(HostileYAML.nestedBlockLists.utf8))?.1 == ["hostile.yaml:1:\(2 * limit + 1): error: the document nests deeper than \(limit) levels"])
    }

    @Test func nestingUpToTheLimitParses() throws {
        let limit = YAMLParser.maximumDepth
        let atLimit = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        let parsed = try YAMLParser(file: "deep.yaml").parse(Array(atLimit.utf8))
        var node = try #require(parsed)
        var levels = 0
        while case .sequence(let items) = node.kind {
            levels += 1
            guard let first = items.first else { break }
            node = first
        }
        #expect(levels == limit)
        let overLimit = "[" + atLimit + "]"
        #expect(throws: StyxyError.self) { try YAMLParser(file: "deep.yaml").parse(Array(overLimit.utf8)) }
    }

    @Test func billionLaughsIsCheapAndReportedAsUnknownKeys() throws {
        // 90 aliases stay under the cap; nodes share storage, so nothing expands 9^9 times.
        let started = ContinuousClock.now
        let result = try #require(Self.diagnostics(Array(HostileYAML.aliasBomb.utf8)))
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(result.1.first == "hostile.yaml:1:1: error: a0: unknown key 'a0' (allowed keys: project, services, outputs)")
        #expect(result.1.count == 11, "ten unknown keys and no services: \(result.1)")
    }

    @Test func tooManyAliases() throws {
        let result = try #require(Self.diagnostics(Array(HostileYAML.aliasFlood.utf8)))
        #expect(result.1.count == 1)
        #expect(result.1.first?.contains("error: too many aliases (more than \(YAMLParser.maximumAliases))") == true, "\(result.1)")
    }

    @Test func invalidUTF8NamesTheByte() throws {
        let result = try #require(Self.diagnostics(HostileYAML.invalidUTF8))
        #expect(result.1.count == 1)
        // libyaml names the offending trailing byte; the message points at the character it breaks.
        #expect(result.1.first?.hasPrefix("hostile.yaml:3:11: error: invalid YAML: the file is not valid UTF-8") == true, "\(result.1)")
        #expect(result.1.first?.hasSuffix("(save the manifest as UTF-8)") == true)
    }

    @Test func aUTF16FileIsNotGuessed() throws {
        // With a UTF-16 byte-order mark libyaml would decode it; manifests are UTF-8 only.
        let utf16: [UInt8] = [0xFF, 0xFE] + Array("services: {}\n".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let result = try #require(Self.diagnostics(utf16))
        #expect(result.0 == .invalidInput)
        #expect(result.1.first?.contains("not valid UTF-8") == true, "\(result.1)")
    }

    @Test func aNulByteIsRefused() throws {
        let bytes = Array("services:\n  web:\n    type: dev".utf8) + [0x00] + Array("\n".utf8)
        let result = try #require(Self.diagnostics(bytes))
        #expect(result.0 == .invalidInput)
        #expect(result.1.first?.hasPrefix("hostile.yaml:3:14: error: invalid YAML") == true, "\(result.1)")
    }
}

/// The real binary, as a user runs it: `styxy validate -m FILE` in a scratch folder, with no user
/// configuration and a HOME of its own.
@Suite("YAML robustness through styxy validate")
struct ValidateCommandRobustnessTests {
    static let timeout = 20.0

    /// Runs the binary on `manifest` (written as `styxy.yaml` in a fresh folder) and checks the folder and
    /// HOME are unchanged afterwards.
    static func validate(_ manifest: [UInt8], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> RunResult {
        let binary = try StyxyBinary.require()
        let project = try TemporaryFolder("project")
        let home = try TemporaryFolder("home")
        let logs = try TemporaryFolder("logs")
        try project.write("styxy.yaml", manifest)
        let projectBefore = project.snapshot()
        var environment = ProcessInfo.processInfo.environment
        for name in ["STYXY_CONFIG", "XDG_CONFIG_HOME", "STYXY_HOME"] { environment.removeValue(forKey: name) }
        environment["HOME"] = home.path
        let child = try ChildProcess(binary, ["validate", "-m", "styxy.yaml"], environment: environment,
                                     outputPrefix: logs.path + "/validate", directory: project.path)
        let finished = child.wait(timeout: timeout)
        #expect(project.snapshot() == projectBefore, "validate changed the project folder", sourceLocation: sourceLocation)
        #expect(home.listing().isEmpty, "validate wrote into HOME", sourceLocation: sourceLocation)
        return child.result(timedOut: !finished)
    }

    @Test("hostile input exits 65 with a diagnostic", arguments: HostileYAML.cases.map(\.name))
    func hostileInput(_ name: String) throws {
        let bytes = try #require(HostileYAML.cases.first { $0.name == name }?.bytes)
        let started = ContinuousClock.now
        let run = try Self.validate(bytes)
        #expect(!run.timedOut, "\(name): styxy validate was still running after \(Self.timeout) s")
        #expect(ContinuousClock.now - started < .seconds(10), "\(name) took too long")
        #expect(run.status == 65, "\(name): exit status \(run.status) (128+N: killed by signal N); stderr:\n\(run.stderr)")
        #expect(run.stderr.hasPrefix("styxy.yaml:"), "\(name): stderr should start with a diagnostic:\n\(run.stderr)")
        #expect(run.stderr.contains("error:"), "\(name): \(run.stderr)")
        #expect(run.stdout.isEmpty, "\(name): stdout: \(run.stdout)")
    }

    @Test func aValidManifestExitsZeroAndWritesNothing() throws {
        let text = "services:\n  web:\n    type: dev\noutputs:\n  - template: dotenv\n    path: .env\n"
        let run = try Self.validate(Array(text.utf8))
        #expect(run.status == 0, "stderr:\n\(run.stderr)")
        #expect(run.stdout.contains("styxy.yaml: valid"), "\(run.stdout)")
        #expect(run.stderr.isEmpty)
    }

    @Test func everyProblemIsPrintedOnce() throws {
        let text = "services:\n  Web:\n    type: devv\n  api:\n    type: api\n    port: 0\n"
        let run = try Self.validate(Array(text.utf8))
        #expect(run.status == 65)
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("styxy.yaml:") }.count == 3, "\(lines)")
        #expect(lines.contains("styxy.yaml:3:11: error: services.Web.type: unknown service type 'devv' (did you mean 'dev'?)"), "\(lines)")
    }
}
