import StyxyCore
import Testing

@Suite("Printable text")
struct PrintableTextTests {
    @Test(arguments: [
        ("vite --port 3000", "vite --port 3000"),
        (#"C:\path\plain"#, #"C:\path\plain"#),
        (#"C:\new"# + "\n", #"C:\new\n"#),
        ("a\nb\tc\rd", #"a\nb\tc\rd"#),
        ("\u{1b}[31mred", #"\u{1b}[31mred"#),
        ("del\u{7f}", #"del\u{7f}"#),
        ("c1\u{85}line\u{2028}sep", #"c1\u{85}line\u{2028}sep"#),
        ("ünïcödé stays", "ünïcödé stays"),
    ])
    func escapes(_ input: String, _ expected: String) {
        #expect(PrintableText.escaped(input) == expected)
    }
}
