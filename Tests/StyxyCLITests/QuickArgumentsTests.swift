import ArgumentParser
@testable import StyxyCLI
import Testing

/// The quick parser of the hot commands must read every command line exactly as ArgumentParser
/// does, and hand everything else to ArgumentParser.
@Suite("Quick parsing of resolve, run and env")
struct QuickArgumentsTests {
    static func fields(_ s: Styxy.Resolve.Settings) -> [String] {
        [s.common.manifest ?? "-", s.common.instance, s.common.ttl ?? "-", "\(s.dryRun)", "\(s.check)", "\(s.reassign)", "\(s.strict)", "\(s.json)", "\(s.quiet)"]
    }

    @Test(arguments: [
        [],
        ["-m", "other.yaml"],
        ["--manifest=other.yaml", "--json"],
        ["--instance", "ci-3", "--ttl", "2h", "--strict"],
        ["--dry-run", "--manifest", "a/b.yaml", "--reassign"],
        ["--check", "--instance=job.1"],
        ["--quiet"],
        ["--quiet", "--instance", "agent-1", "--strict"],
    ])
    func resolveReadsLikeArgumentParser(_ words: [String]) throws {
        let quick = try #require(Styxy.Resolve.Settings(quick: words))
        let full = try Styxy.Resolve.parse(words)
        #expect(Self.fields(quick) == Self.fields(full.settings))
    }

    @Test(arguments: [
        ["--help"], ["-h"], ["--bogus"], ["-m"], ["--instance", "../x"], ["--ttl", "0s"], ["--json", "--json"],
        ["--dry-run", "--check"], ["--check", "--reassign"], ["extra"], ["--", "x"], ["--quiet", "--json"], ["--quiet", "--dry-run"],
        ["--quiet", "--quiet"],
    ])
    func resolveLeavesTheRestToArgumentParser(_ words: [String]) {
        #expect(Styxy.Resolve.Settings(quick: words) == nil)
    }

    @Test func runTakesTheCommandAfterTheTerminator() throws {
        #expect(Styxy.Run.quick(["--instance", "a", "--", "npm", "run", "--port", "3"]) != nil)
        #expect(Styxy.Run.quick(["--"]) == nil, "no command: ArgumentParser explains")
        #expect(Styxy.Run.quick(["npm", "run", "dev"]) == nil, "no terminator: ArgumentParser decides")
        #expect(Styxy.Env.quick(["--format", "shell"]) != nil)
        #expect(Styxy.Env.quick(["--format", "yaml"]) == nil)
    }

    @Test func versionIsAnsweredWithArgumentParsersBytes() throws {
        var expected = ""
        do {
            _ = try Styxy.parseAsRoot(["--version"])
            Issue.record("ArgumentParser should answer --version by exiting")
        } catch {
            expected = Styxy.fullMessage(for: error) + "\n"
        }
        let sandbox = try Sandbox()
        for result in [try sandbox.run(["--version"]), try sandbox.runProcess(["--version"])] {
            #expect(result.status == 0)
            #expect(result.stdout == expected && result.stderr.isEmpty, "\(result)")
        }
        #expect(Styxy.immediateAnswer(["--version", "extra"]) == nil, "anything more is ArgumentParser's to refuse")
    }
}
