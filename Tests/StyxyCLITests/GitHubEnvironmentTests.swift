import Testing

@testable import StyxyCLI

@Suite("env --format github")
struct GitHubEnvironmentTests {
    @Test func singleLineValuesAreWrittenAsTheyAre() {
        #expect(Styxy.Env.githubEnvironmentLine("ROOT", "/home/ana/it's here") == "ROOT=/home/ana/it's here\n")
    }

    @Test func aValueWithALineBreakUsesADelimiterItDoesNotContain() {
        #expect(Styxy.Env.githubEnvironmentLine("P", "a\nb") == "P<<STYXY_EOF\na\nb\nSTYXY_EOF\n")
        let tricky = Styxy.Env.githubEnvironmentLine("P", "x\nSTYXY_EOF\ny")
        let delimiter = String(tricky.split(separator: "\n")[0].dropFirst("P<<".count))
        #expect(delimiter.hasPrefix("STYXY_EOF_") && tricky.hasSuffix("\n\(delimiter)\n"), "\(tricky)")
        #expect(!"x\nSTYXY_EOF\ny".contains(delimiter))
    }
}
