import Foundation
import StyxyCore
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `styxy hook`, against real git: the hook git runs must give a new worktree its ports, keep the
/// hook it chains working, never fail git, and leave no trace after `uninstall`.
@Suite("styxy hook and git worktrees")
struct HookTests {
    static let git: String? = ["/usr/bin/git", "/bin/git", "/usr/local/bin/git"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// A manifest whose one service leases from a block of ports no other test uses.
    static func manifest() throws -> String {
        let block = try PortBlocks.reserve(PortBlocks.chunkSize)
        return """
            project: shop
            services:
              web:
                range: [\(block.lowerBound), \(block.upperBound)]
            outputs:
              - template: dotenv
                path: .env

            """
    }

    /// A repository with a committed manifest, in a sandbox whose git sees no user or system config.
    struct Repository {
        let sandbox: Sandbox
        let path: String
        /// styxy from this build first on PATH, as the hook finds it.
        var environment: [String: String]

        init(manifest: String? = nil) throws {
            sandbox = try Sandbox()
            path = sandbox.projectRoot("repo")
            environment = sandbox.environment
            environment["PATH"] = FileIO.directory(of: try StyxyBinary.require()) + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
            environment["GIT_CONFIG_NOSYSTEM"] = "1"
            for (name, value) in [("GIT_AUTHOR_NAME", "t"), ("GIT_COMMITTER_NAME", "t"), ("GIT_AUTHOR_EMAIL", "t@example.invalid"),
                                  ("GIT_COMMITTER_EMAIL", "t@example.invalid")] { environment[name] = value }
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try git("init", "-q", "-b", "main")
            try write("styxy.yaml", try manifest ?? HookTests.manifest())
            try write(".gitignore", ".env\n")
            try git("add", ".")
            try git("commit", "-q", "-m", "init")
        }

        @discardableResult
        func git(_ arguments: String..., in folder: String? = nil, environment extra: [String: String] = [:], allowFailure: Bool = false) throws -> RunResult {
            let child = try ChildProcess(try #require(HookTests.git), arguments, environment: environment.merging(extra) { $1 },
                                         outputPrefix: sandbox.root + "/logs/git-\(UUID().uuidString)", directory: folder ?? path)
            let finished = child.wait(timeout: 60)
            let result = child.result(timedOut: !finished)
            if !allowFailure { try #require(result.status == 0, "git \(arguments.joined(separator: " ")): \(result)") }
            return result
        }

        func styxy(_ arguments: [String], in folder: String? = nil) throws -> RunResult {
            try sandbox.run(arguments, environment: environment, in: folder ?? path)
        }

        func write(_ relative: String, _ text: String, mode: Int = 0o644) throws {
            let file = path + "/" + relative
            try FileManager.default.createDirectory(atPath: FileIO.directory(of: file), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            chmod(file, mode_t(mode))
        }

        func port(in folder: String) throws -> String? {
            let text = try FileIO.readString(folder + "/.env") ?? ""
            return text.split(separator: "\n").first { $0.hasPrefix("WEB_PORT=") }.map { String($0.dropFirst("WEB_PORT=".count)) }
        }

        func worktree(_ name: String) -> String { sandbox.projectRoot(name) }
    }

    static func bytesAndMode(_ path: String) -> (Data?, mode_t) {
        var info = stat()
        return (FileManager.default.contents(atPath: path), lstat(path, &info) == 0 ? info.st_mode : 0)
    }

    @Test(.enabled(if: git != nil, "needs git"))
    func worktreeAddGivesTheNewWorktreeItsOwnPorts() throws {
        let repo = try Repository()
        #expect(try repo.styxy(["resolve", "--quiet"]).stdout.isEmpty)
        let install = try repo.styxy(["hook", "install"])
        #expect(install.status == 0 && install.stdout.contains("hook installed"), "\(install)")
        let added = try repo.git("worktree", "add", "-q", repo.worktree("feature"))
        #expect(!added.stderr.contains("styxy"), "a good manifest is silent: \(added)")
        let main = try #require(try repo.port(in: repo.path))
        let feature = try #require(try repo.port(in: repo.worktree("feature")), "the hook leased the new worktree's ports")
        #expect(main != feature)
        let leases = try repo.styxy(["lease", "ls", "--root", repo.worktree("feature") + "/", "--json"])
        let json = try leases.json()["leases"] as? [[String: Any]]
        let root = try #require(FileIO.realPath(repo.worktree("feature")))
        #expect(json?.map(\.root) == [root], "--root picks the worktree's lease alone: \(leases)")
    }

    @Test(.enabled(if: git != nil, "needs git"))
    func anExistingHookIsChainedAndComesBackByteForByte() throws {
        let repo = try Repository()
        let hook = repo.path + "/.git/hooks/post-checkout"
        try repo.write(".git/hooks/post-checkout", "#!/bin/sh\necho \"own hook $3\" >> \"$(pwd)/own-hook.log\"\nexit 0\n", mode: 0o750)
        let before = Self.bytesAndMode(hook)
        #expect(try repo.styxy(["hook", "install"]).status == 0)
        let status = try repo.styxy(["hook", "status", "--json"]).json()
        #expect(status["installed"] as? Bool == true)
        #expect((status["chained"] as? String)?.hasSuffix("/hooks/post-checkout.styxy-chained") == true, "\(status)")
        #expect(try repo.styxy(["hook", "install"]).stdout.contains("hook unchanged"), "a second install changes nothing")
        try repo.git("worktree", "add", "-q", repo.worktree("feature"))
        #expect(try FileIO.readString(repo.worktree("feature") + "/own-hook.log") == "own hook 1\n", "the chained hook still runs")
        #expect(try repo.port(in: repo.worktree("feature")) != nil)
        let uninstall = try repo.styxy(["hook", "uninstall"])
        #expect(uninstall.status == 0 && uninstall.stdout.contains("hook uninstalled"), "\(uninstall)")
        let after = Self.bytesAndMode(hook)
        #expect(after.0 == before.0 && after.1 == before.1, "bytes and mode as they were")
        #expect(!FileIO.exists(hook + ".styxy-chained"))
        #expect(try repo.styxy(["hook", "uninstall"]).stdout.contains("hook not installed"))
    }

    @Test(.enabled(if: git != nil, "needs git"))
    func uninstallWithoutAnEarlierHookLeavesNone() throws {
        let repo = try Repository()
        let hooks = repo.path + "/.git/hooks"
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: hooks))
        #expect(try repo.styxy(["hook", "install"]).status == 0)
        #expect(try repo.styxy(["hook", "uninstall"]).status == 0)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: hooks)) == before)
    }

    @Test(.enabled(if: git != nil, "needs git"))
    func coreHooksPathIsHonoured() throws {
        let repo = try Repository()
        try repo.git("config", "core.hooksPath", ".githooks")
        let install = try repo.styxy(["hook", "install", "--json"]).json()
        #expect(install["path"] as? String == FileIO.realPath(repo.path)! + "/.githooks/post-checkout", "\(install)")
        #expect(install["hooks_path"] as? String == ".githooks")
        #expect(!FileIO.exists(repo.path + "/.git/hooks/post-checkout"))
        try repo.git("worktree", "add", "-q", repo.worktree("feature"))
        #expect(try repo.port(in: repo.worktree("feature")) != nil, "git ran the hook from core.hooksPath")
    }

    @Test(.enabled(if: git != nil, "needs git"))
    func huskyHooksLiveInTheHuskyFolder() throws {
        let repo = try Repository()
        // Husky 9's layout: core.hooksPath is .husky/_, whose stubs hand .husky/NAME to `sh -e`.
        try repo.write(".husky/_/h", "#!/usr/bin/env sh\nn=$(basename \"$0\")\ns=$(dirname \"$(dirname \"$0\")\")/$n\n[ ! -f \"$s\" ] && exit 0\nsh -e \"$s\" \"$@\"\n", mode: 0o755)
        try repo.write(".husky/_/post-checkout", "#!/usr/bin/env sh\n. \"$(dirname \"$0\")/h\"\n", mode: 0o755)
        try repo.write(".husky/post-checkout", "echo husky-own >> husky.log\n")
        try repo.git("config", "core.hooksPath", ".husky/_")
        let status = try repo.styxy(["hook", "install", "--json"]).json()
        #expect(status["husky"] as? Bool == true && (status["path"] as? String)?.hasSuffix("/.husky/post-checkout") == true, "\(status)")
        #expect(try FileIO.readString(repo.path + "/.husky/post-checkout.styxy-chained") == "echo husky-own >> husky.log\n")
        #expect(!FileIO.exists(repo.path + "/.env"))
        try repo.git("checkout", "-q", "-b", "other")
        #expect(try FileIO.readString(repo.path + "/husky.log") == "husky-own\n", "Husky's own hook still runs, under sh -e")
        #expect(try repo.port(in: repo.path) != nil, "and Styxy's after it")
    }

    @Test(.enabled(if: git != nil, "needs git"))
    func aHooksPathOutsideTheRepositoryIsRefused() throws {
        let repo = try Repository()
        let outside = repo.sandbox.root + "/shared-hooks"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try repo.git("config", "core.hooksPath", outside)
        let install = try repo.styxy(["hook", "install"])
        #expect(install.status == 73 && install.stderr.contains("outside the repository"), "\(install)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
    }

    @Test(.enabled(if: git != nil, "needs git"))
    func aHookThatLinksOutsideIsNeverWrittenThrough() throws {
        let repo = try Repository()
        let victim = repo.sandbox.root + "/victim"
        try Data("keep\n".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createSymbolicLink(atPath: repo.path + "/.git/hooks/post-checkout", withDestinationPath: victim)
        let install = try repo.styxy(["hook", "install"])
        #expect(install.status == 73, "\(install)")
        #expect(try FileIO.readString(victim) == "keep\n")
    }

    @Test(.enabled(if: git != nil, "needs git"))
    func aBrokenManifestNeverFailsGit() throws {
        let repo = try Repository(manifest: "project: shop\nservices:\n  web:\n    prot: 3000\n")
        #expect(try repo.styxy(["hook", "install"]).status == 0)
        let added = try repo.git("worktree", "add", "-q", repo.worktree("feature"))
        let lines = added.stderr.split(separator: "\n").filter { $0.contains("styxy") }
        #expect(lines.count == 1 && lines[0].hasPrefix("styxy hook: ") && lines[0].contains("(exit 65)"), "\(added)")
        #expect(added.stderr.split(separator: "\n").count == lines.count, "nothing else on stderr: \(added)")
    }

    @Test(.enabled(if: git != nil, "needs git"))
    func styxyMissingFromPathIsSaidOnce() throws {
        let repo = try Repository()
        #expect(try repo.styxy(["hook", "install"]).status == 0)
        let added = try repo.git("worktree", "add", "-q", repo.worktree("feature"), environment: ["PATH": "/usr/bin:/bin"])
        let lines = added.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("styxy is not on PATH"), "\(added)")
        #expect(!FileIO.exists(repo.worktree("feature") + "/.env"))
    }

    @Test(.enabled(if: git != nil, "needs git"))
    func statusNamesLeasesOfRemovedWorktrees() throws {
        let repo = try Repository()
        let before = try repo.styxy(["hook", "status"])
        #expect(before.status == 0 && before.stdout.contains("not installed"), "\(before)")
        #expect(try repo.styxy(["hook", "install"]).status == 0)
        try repo.git("worktree", "add", "-q", repo.worktree("gone"))
        let root = try #require(FileIO.realPath(repo.worktree("gone")))
        try repo.git("worktree", "remove", "--force", repo.worktree("gone"))
        let status = try repo.styxy(["hook", "status"])
        #expect(status.stdout.contains("installed: ") && status.stdout.contains("chained: no other hook"), "\(status)")
        #expect(status.stdout.contains("  \(root)\n") && status.stdout.contains("styxy lease prune"), "\(status)")
        let json = try repo.styxy(["hook", "status", "--json"]).json()
        #expect((json["gone_worktree_leases"] as? [[String: Any]])?.map(\.root) == [root])
        let outside = try repo.styxy(["hook", "status"], in: repo.sandbox.root)
        #expect(outside.status == 64 && outside.stderr.contains("not inside a git work tree"), "\(outside)")
    }
}
