import Foundation
import StyxyCore
import Testing

@testable import StyxyRender

#if canImport(Glibc)
import Glibc
#endif

@Suite("Output writer")
struct OutputWriterTests {
    let env = PlannedOutput(relativePath: ".env", content: "WEB_PORT=3000\n", kind: .dotenvBlock)
    let compose = PlannedOutput(relativePath: "docker-compose.override.yml", content: "services: {}\n")
    let npm = PlannedOutput(relativePath: ".styxy/npm/scripts.json", content: "{}\n")

    func refusal(_ project: ProjectFolder, _ outputs: [PlannedOutput], sourceLocation: Testing.SourceLocation = #_sourceLocation) -> StyxyError? {
        let before = project.listing()
        let error = failure({ () throws(StyxyError) in try OutputWriter(root: project.path).apply(outputs, mode: .write) },
                            sourceLocation: sourceLocation)
        #expect(error?.exitStatus == .cannotWriteOutput, sourceLocation: sourceLocation)
        #expect(project.listing() == before, "nothing may be written", sourceLocation: sourceLocation)
        return error
    }

    @Test("creates files and folders, merges the .env block, then a second run is a no-op")
    func writeThenNoOp() throws {
        let project = try ProjectFolder()
        try project.write(".env", "SECRET=keep\n# mine")
        let writer = OutputWriter(root: project.path)
        let first = try writer.apply([env, compose, npm], mode: .write)
        #expect(first.map(\.status) == [.updated, .created, .created])
        #expect(first[2].path == project.file(".styxy/npm/scripts.json"))
        #expect(project.text(".env") == "SECRET=keep\n# mine\n" + DotenvBlock.beginMarker + "\nWEB_PORT=3000\n" + DotenvBlock.endMarker + "\n")
        #expect(project.text(".styxy/npm/scripts.json") == "{}\n")
        #expect(project.mode("docker-compose.override.yml") == 0o644)
        #expect(FileIO.isDirectory(project.file(".styxy/npm")) && project.mode(".styxy/npm") & ~0o755 == 0)

        let identities = [".env", "docker-compose.override.yml", ".styxy/npm/scripts.json"].map(project.identity)
        usleep(20_000)
        let second = try writer.apply([env, compose, npm], mode: .write)
        #expect(second.allSatisfy { $0.status == .unchanged })
        #expect([".env", "docker-compose.override.yml", ".styxy/npm/scripts.json"].map(project.identity) == identities)
    }

    @Test("an updated file keeps its permission bits")
    func keepsMode() throws {
        let project = try ProjectFolder()
        try project.write(".env", "A=1\n")
        chmod(project.file(".env"), 0o600)
        _ = try OutputWriter(root: project.path).apply([env], mode: .write)
        #expect(project.mode(".env") == 0o600)
    }

    @Test(".check writes nothing and reports what is stale")
    func check() throws {
        let project = try ProjectFolder()
        try project.write("docker-compose.override.yml", "services: {}\n")
        let results = try OutputWriter(root: project.path).apply([env, compose, npm], mode: .check)
        #expect(results.map(\.isStale) == [true, false, true])
        #expect(project.listing() == ["docker-compose.override.yml"])
    }

    @Test(".dryRun writes nothing and returns a unified diff per changed file")
    func dryRun() throws {
        let project = try ProjectFolder()
        try project.write("docker-compose.override.yml", "# header\nservices:\n  api: {}\n")
        let results = try OutputWriter(root: project.path).apply([compose, env], mode: .dryRun)
        #expect(results[0].diff == """
            --- a/docker-compose.override.yml
            +++ b/docker-compose.override.yml
            @@ -1,3 +1,1 @@
            -# header
            -services:
            -  api: {}
            +services: {}

            """)
        #expect(results[1].status == .created)
        #expect(results[1].diff?.hasPrefix("--- /dev/null\n+++ b/.env\n@@ -0,0 +1,3 @@\n+# >>> styxy") == true)
        #expect(project.listing() == ["docker-compose.override.yml"])
    }

    @Test("absolute paths, '..', and paths that are folders are refused with exit 73",
          arguments: ["/etc/passwd", "../outside.env", "sub/../../x", "sub/", "", "."])
    func refusedPaths(_ path: String) throws {
        let project = try ProjectFolder()
        try project.write("sub/keep", "x")
        _ = refusal(project, [compose, PlannedOutput(relativePath: path, content: "x")])
    }

    @Test("a symlink leading outside the root is refused, as a folder or as the file itself")
    func symlinkEscape() throws {
        let project = try ProjectFolder(), elsewhere = try ProjectFolder()
        try elsewhere.write("target.env", "THEIRS=1\n")
        try FileManager.default.createSymbolicLink(atPath: project.file("linked"), withDestinationPath: elsewhere.path)
        try FileManager.default.createSymbolicLink(atPath: project.file(".env"), withDestinationPath: elsewhere.file("target.env"))
        let viaFolder = refusal(project, [compose, PlannedOutput(relativePath: "linked/new.yml", content: "x")])
        #expect(viaFolder?.description.contains("outside the project root") == true)
        _ = refusal(project, [env])
        #expect(elsewhere.listing() == ["target.env"])
        #expect(elsewhere.text("target.env") == "THEIRS=1\n")
    }

    @Test("a symlink inside the root is written through, and stays a symlink")
    func symlinkInside() throws {
        let project = try ProjectFolder()
        try project.write("config/real.env", "A=1\n")
        try FileManager.default.createSymbolicLink(atPath: project.file(".env"), withDestinationPath: "config/real.env")
        let results = try OutputWriter(root: project.path).apply([env], mode: .write)
        #expect(results[0].path == project.file("config/real.env"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: project.file(".env")) == "config/real.env")
        #expect(project.text("config/real.env")?.contains("WEB_PORT=3000") == true)
    }

    @Test("a folder that cannot hold the output stops every output, before anything is written")
    func unwritableParent() throws {
        let project = try ProjectFolder()
        try project.write("blocked", "a file where a folder should be\n")
        let error = refusal(project, [compose, npm, PlannedOutput(relativePath: "blocked/ports.json", content: "{}")])
        #expect(error?.description.contains("blocked/ports.json: error:") == true)
    }

    @Test("a read-only folder stops every output (needs a non-root user)", .enabled(if: geteuid() != 0))
    func readOnlyFolder() throws {
        let project = try ProjectFolder()
        try FileManager.default.createDirectory(atPath: project.file("ro"), withIntermediateDirectories: false)
        chmod(project.file("ro"), 0o555)
        let error = refusal(project, [compose, PlannedOutput(relativePath: "ro/sub/ports.json", content: "{}")])
        #expect(error?.description.contains("cannot write into \(project.file("ro"))") == true)
    }

    @Test("a .env with a begin marker and no end marker is refused, naming the line")
    func unterminatedBlock() throws {
        let project = try ProjectFolder()
        try project.write(".env", "A=1\n\(DotenvBlock.beginMarker)\nSECRET=mine\n")
        let error = refusal(project, [compose, env])
        #expect(error?.description.hasPrefix(".env:2:1: error: Styxy's block starts here but has no end marker") == true)
        #expect(project.text(".env") == "A=1\n\(DotenvBlock.beginMarker)\nSECRET=mine\n")
    }

    @Test("two outputs aimed at one file are refused")
    func duplicateTargets() throws {
        let project = try ProjectFolder()
        _ = refusal(project, [compose, PlannedOutput(relativePath: "./docker-compose.override.yml", content: "x")])
    }

}
