import StyxyCore
import StyxyTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The one gate every project read and write passes (DESIGN §9): nothing it hands out lies
/// outside the folder, inside a `.git`, or on a protected file, however the path is spelled or linked.
@Suite("ConfinedFolder")
struct ConfinedFolderTests {
    /// A project with a file, a folder, and a folder of someone else's beside it.
    struct World {
        let project: TemporaryFolder
        let elsewhere: TemporaryFolder
        let confined: ConfinedFolder

        init() throws {
            project = try TemporaryFolder("confined")
            elsewhere = try TemporaryFolder("elsewhere")
            try project.write("src/app.env", "mine\n")
            try elsewhere.write("secret", "theirs\n")
            confined = try ConfinedFolder(path: project.path)
        }
    }

    /// The reason `locate` refuses `relative` with, or nil (recording an issue) when it does not.
    func refusal(_ folder: ConfinedFolder, _ relative: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> String? {
        do {
            let entry = try folder.locate(relative, createFolders: true)
            Issue.record("\(relative) was located at \(entry.path)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func readsAndWritesInsideAndMakesMissingFolders() throws {
        let world = try World()
        #expect(try world.confined.read("src/app.env", limit: 100) == Array("mine\n".utf8))
        #expect(try world.confined.read("src/missing.env", limit: 100) == nil)
        try world.confined.replace("deep/er/out.env", with: Array("new\n".utf8), mode: 0o640, folderMode: 0o750)
        #expect(world.project.text("deep/er/out.env") == "new\n")
        #expect(world.project.mode("deep/er/out.env") == 0o640)
        #expect(world.project.mode("deep/er") == 0o750)
        // An existing file keeps its mode: the user chose it.
        #expect(chmod(world.project.file("src/app.env"), 0o604) == 0)
        try world.confined.replace("src/app.env", with: [], mode: 0o600)
        #expect(world.project.mode("src/app.env") == 0o604)
    }

    @Test func linksAreFollowedOnlyToPlacesInside() throws {
        let world = try World()
        try world.project.link("relative.env", to: "src/app.env")
        try world.project.link("absolute.env", to: world.project.file("src/app.env"))
        try world.project.link("srcdir", to: "src")
        for inside in ["relative.env", "absolute.env", "srcdir/app.env", "./src/../src/app.env"] {
            #expect(try world.confined.read(inside, limit: 100) == Array("mine\n".utf8), "\(inside)")
        }
        try world.project.link("out", to: world.elsewhere.path)
        try world.project.link("up", to: "..")
        try world.project.link("src/up2", to: "../..")
        #expect(refusal(world.confined, "out/secret")?.contains("outside \(world.project.path)") == true)
        #expect(refusal(world.confined, "up/x")?.contains("leads outside") == true)
        #expect(refusal(world.confined, "src/up2/x")?.contains("leads outside") == true)
        #expect(refusal(world.confined, "../x")?.contains("leads outside") == true)
        #expect(world.elsewhere.contents() == ["secret": Array("theirs\n".utf8)])
    }

    @Test(arguments: [".git/config", ".GIT/hooks/pre-commit", "sub/.git/config", "missing/.git/x", "gitlink/config"])
    func noPathLeadsIntoAGitFolder(_ relative: String) throws {
        let world = try World()
        try world.project.mkdir(".git")
        try world.project.write("sub/.git/config", "")
        try world.project.link("gitlink", to: ".git")
        #expect(refusal(world.confined, relative)?.contains("git folder") == true)
    }

    /// Protection is by identity: another name, a hard link or a symbolic link to the same file is refused too.
    @Test func protectedFilesAndFoldersAreRefusedUnderAnyName() throws {
        let world = try World()
        try world.project.write("styxy.yaml", "services: {}\n")
        try world.project.mkdir("state")
        #expect(link(world.project.file("styxy.yaml"), world.project.file("hard.yaml")) == 0)
        try world.project.link("soft.yaml", to: "styxy.yaml")
        try world.project.link("statelink", to: "state")
        world.confined.protectFile(world.project.file("styxy.yaml"), as: "the manifest")
        world.confined.protectFolder(world.project.file("state"), as: "the state home")
        for name in ["styxy.yaml", "hard.yaml", "soft.yaml"] {
            #expect(refusal(world.confined, name)?.contains("is the manifest") == true, "\(name)")
        }
        for name in ["state/ledger.json", "statelink/ledger.json"] {
            #expect(refusal(world.confined, name)?.contains("the state home") == true, "\(name)")
        }
        #expect(try world.confined.read("src/app.env", limit: 100) != nil, "other files stay usable")
    }

    @Test func onlyARegularFileCanEndAPath() throws {
        let world = try World()
        #expect(mkfifo(world.project.file("fifo"), 0o600) == 0)
        try world.project.link("loop", to: "loop")
        #expect(refusal(world.confined, "src")?.contains("is a folder, not a file") == true)
        #expect(refusal(world.confined, "fifo")?.contains("a FIFO, not a regular file") == true)
        #expect(refusal(world.confined, "src/app.env/x")?.contains("is a file, not a folder") == true)
        #expect(refusal(world.confined, "loop")?.contains("more than 40 links") == true)
        #expect(refusal(world.confined, "/etc/passwd")?.contains("absolute") == true)
        #expect(refusal(world.confined, "a\u{0}b")?.contains("NUL") == true)
        #expect(refusal(world.confined, "./")?.contains("names no file") == true)
    }

    @Test func createNeverReplaces() throws {
        let world = try World()
        let entry = try world.confined.locate("backup.env")
        #expect(try world.confined.create(entry, with: Array("first".utf8), mode: 0o600))
        #expect(try !world.confined.create(world.confined.locate("backup.env"), with: Array("second".utf8), mode: 0o600))
        #expect(world.project.text("backup.env") == "first")
    }
}
