import StyxyManifest
import Testing

@Suite("DurationText")
struct DurationTextTests {
    @Test("reads durations as people write them", arguments: [
        ("90s", 90.0),
        ("10s", 10),
        ("0s", 0),
        ("2m", 120),
        ("2h", 7200),
        ("1d", 86_400),
        ("500ms", 0.5),
        ("1.5s", 1.5),
        ("0.25h", 900),
        ("1h30m", 5400),
        ("1d2h3m4s", 93_784),
        ("1m500ms", 60.5),
        ("007s", 7),
    ])
    func reads(text: String, seconds: Double) {
        #expect(DurationText.seconds(text) == seconds, "\(text)")
    }

    @Test("refuses what is not a duration", arguments: [
        "", "10", "s", "ms", "10x", "10sec", "10S", "1H", "-5s", "+5s", " 10s", "10s ", "1h 30m", "1h30",
        "1..5s", ".s", "1e3s", "ten seconds", "10 s", "1,5s", "٣s", "½h",
    ])
    func refuses(text: String) {
        #expect(DurationText.seconds(text) == nil, "\(text.debugDescription) read as \(String(describing: DurationText.seconds(text)))")
    }
}
