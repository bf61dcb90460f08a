import Foundation
import Testing

/// `styxy init` through the binary: what it says about the outputs and git.
@Suite("styxy init and git")
struct InitCommandTests {
    static let git: String? = ["/usr/bin/git", "/bin/git", "/usr/local/bin/git"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func runGit(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(git))
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "git \(arguments.joined(separator: " ")) failed")
    }

    @Test(.enabled(if: git != nil, "needs git"))
    func initNamesTheOutputsGitWouldCommit() throws {
        let s = try Sandbox()
        let folder = s.projectRoot("web")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(#"{"name": "web", "scripts": {"dev": "vite --port 5173"}}"#.utf8).write(to: URL(fileURLWithPath: folder + "/package.json"))
        func initialise() throws -> RunResult {
            try? FileManager.default.removeItem(atPath: folder + "/styxy.yaml")
            let result = try s.run(["init", "--dir", folder])
            #expect(result.status == 0, "\(result)")
            return result
        }

        #expect(!(try initialise().stderr.contains("git does not ignore")), "not a git work tree: nothing to say")

        try Self.runGit(["init", "-q", folder])
        let exposed = try initialise()
        #expect(exposed.stderr.contains("note: git does not ignore .env, .styxy/npm-scripts.json, which will hold this machine's ports"),
                "\(exposed)")

        try Data(".env\n".utf8).write(to: URL(fileURLWithPath: folder + "/.gitignore"))
        let one = try initialise()
        #expect(one.stderr.contains("git does not ignore .styxy/npm-scripts.json,") && one.stderr.contains("add it to .gitignore"), "\(one)")

        try Data(".env\n.styxy/\n".utf8).write(to: URL(fileURLWithPath: folder + "/.gitignore"))
        #expect(!(try initialise().stderr.contains("git does not ignore")))
    }

    /// Every init fixture, proposed and then resolved by the binary: a proposal must not only
    /// validate but lease (DESIGN.md section 7; issue 12 asks it of every proposal).
    static let fixtures: [String] = {
        let folder = StyxyBinary.repositoryRoot + "/Tests/Fixtures/init"
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0 != "golden" }.sorted()
    }()

    @Test("every init fixture's proposal resolves", arguments: fixtures)
    func proposalResolves(_ name: String) throws {
        let s = try Sandbox()
        let folder = s.projectRoot(name)
        try FileManager.default.createDirectory(atPath: s.root + "/projects", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: StyxyBinary.repositoryRoot + "/Tests/Fixtures/init/" + name, toPath: folder)
        let initialised = try s.run(["init", "--dir", folder])
        #expect(initialised.status == 0, "\(initialised)")
        let resolved = try s.run(["resolve", "-m", folder + "/styxy.yaml", "--json"])
        #expect(resolved.status == 0, "\(name): \(resolved)")
    }
}
