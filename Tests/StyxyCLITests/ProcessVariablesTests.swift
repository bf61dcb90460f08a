import StyxyKit
import Testing

/// The process's variables are split at their first `=` character; the byte search that does it
/// quickly must agree with the character search everywhere, marks next to the `=` included.
@Suite("Reading the process's variables")
struct ProcessVariablesTests {
    /// The plain reading: the first `=` character of each entry.
    static func reference(_ entries: [String]) -> [String: String] {
        var result: [String: String] = [:]
        for text in entries {
            guard let equals = text.firstIndex(of: "=") else { continue }
            result[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        return result
    }

    @Test(arguments: [
        ["PATH=/bin", "EMPTY=", "TWO=a=b", "NOEQUALS", "=lead", "PATH=/usr/bin"],
        ["MARK=\u{301}after", "MARK2=x", "ZWJ=\u{200D}", "AFTER=\u{301}=b"],
        ["PRE\u{0600}=x", "PRE\u{0600}=y=z", "É=é", "NAME\u{301}=v"],
        ["CR=\r\nx", "NUL=", "TAB=\t", "UNI=\u{1F600}"],
    ])
    func splitsLikeTheCharacterSearch(_ entries: [String]) {
        #expect(StyxyEnvironment.variables(entries, count: entries.count) == Self.reference(entries))
    }

    @Test func theProcessVariablesIncludeThisTestsOwn() {
        #expect(StyxyEnvironment.processVariables()["PATH"] != nil)
    }
}
