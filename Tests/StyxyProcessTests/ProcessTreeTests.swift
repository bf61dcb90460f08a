import Foundation
import StyxyProcess
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("The process tree")
struct ProcessTreeTests {
    /// A folder laid out like /proc, with command names that contain what a naive parser trips on.
    static func fixture() throws -> TestFolder {
        let folder = try TestFolder()
        let stats: [String: String] = [
            "1": "1 (init) S 0 1 1 0 -1 4194560 100 0",
            "10": "10 (shell) S 1 10 10 34816 10",
            "11": "11 (a (b) c) R 10 10 10 34816 10",
            "12": "12 (x) y) Z 11 10 10 0 -1",
            "13": "13 (daemon) S 10 13 13 0 -1",
            "20": "20 (other) S 1 20 20 0 -1",
            "30": "30 (broken",  // no closing parenthesis: not a process
            "31": "31 (short) S 1",  // too few fields
        ]
        for (pid, stat) in stats {
            mkdir(folder.path + "/" + pid, 0o755)
            _ = FileManager.default.createFile(atPath: folder.path + "/\(pid)/stat", contents: Data((stat + "\n").utf8))
        }
        mkdir(folder.path + "/self", 0o755)
        _ = FileManager.default.createFile(atPath: folder.path + "/self/stat", contents: Data("99 (self) S 1 99 99".utf8))
        mkdir(folder.path + "/40", 0o755)  // ended between listing and reading: no stat
        return folder
    }

    @Test func descendantsFollowParentLinks() throws {
        let folder = try Self.fixture()
        let tree = try ProcessTree.snapshot(procRoot: folder.path)
        #expect(Set(tree.entries.keys) == [1, 10, 11, 12, 13, 20])
        #expect(tree.descendants(of: 10) == [10, 11, 12, 13])
        #expect(tree.descendants(of: 11) == [11, 12])
        #expect(tree.descendants(of: 1) == [1, 10, 11, 12, 13, 20])
        #expect(tree.descendants(of: 40) == [], "a process that is gone has no tree")
    }

    @Test func fieldsAreReadAfterTheLastParenthesis() throws {
        let folder = try Self.fixture()
        let tree = try ProcessTree.snapshot(procRoot: folder.path)
        #expect(tree.entries[11] == ProcessTree.Entry(pid: 11, parent: 10, group: 10, state: "R"))
        #expect(tree.entries[12]?.isZombie == true)
        #expect(tree.entries[13]?.group == 13)
        #expect(tree.parent(of: 12) == 11)
    }

    @Test func aFolderWithoutProcessesIsAnError() throws {
        let folder = try TestFolder()
        #expect(throws: SupervisorError.self) { try ProcessTree.snapshot(procRoot: folder.path) }
    }

    /// The real /proc: a shell and the child it started in the background.
    @Test func theRealProcessTableShowsAChildUnderItsShell() throws {
        let folder = try TestFolder()
        let shell = try HostedProcess("/bin/sh -c 'sleep 600 & echo \"child pid $!\"; wait'", in: folder)
        let line = try shell.waitForLine("the child's pid") { $0.hasPrefix("child pid ") }
        let child = try #require(pid_t(line.dropFirst("child pid ".count)))
        let tree = try ProcessTree.snapshot()
        #expect(tree.descendants(of: shell.pid) == [shell.pid, child])
        #expect(tree.parent(of: child) == shell.pid)
        #expect(tree.entries[child]?.group == shell.pid, "the background child stays in the shell's group")
        #expect(tree.descendants(of: getpid()).isSuperset(of: [getpid(), shell.pid, child]))
    }
}
