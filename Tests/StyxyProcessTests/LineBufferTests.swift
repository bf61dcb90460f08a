@testable import StyxyProcess
import Testing

@Suite("Cutting output into lines")
struct LineBufferTests {
    /// Feeds `chunks` and returns the lines handed on, with `finish` at the end when `ended`.
    static func lines(_ chunks: [[UInt8]], limit: Int = 16, ended: Bool = false) -> [String] {
        var buffer = LineBuffer(limit: limit)
        var lines: [String] = []
        let emit: LineBuffer.Emit = { lines.append(String(decoding: $0, as: UTF8.self)) }
        for chunk in chunks { chunk.withUnsafeBytes { buffer.append($0, emit: emit) } }
        if ended { buffer.finish(emit: emit) }
        return lines
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func onlyCompleteLinesAreHandedOn() {
        #expect(Self.lines([Self.bytes("one\ntw"), Self.bytes("o\nthr")]) == ["one", "two"])
    }

    @Test func aPartialLastLineIsHandedOnAtTheEnd() {
        #expect(Self.lines([Self.bytes("one\nlast")], ended: true) == ["one", "last"])
        #expect(Self.lines([Self.bytes("one\n")], ended: true) == ["one"], "no empty line after a final newline")
    }

    @Test func emptyLinesAndCarriageReturns() {
        #expect(Self.lines([Self.bytes("\n\r\na\r\nb\rc\n")]) == ["", "", "a", "b\rc"])
    }

    @Test func aLongLineIsCutAtTheLimitHoweverItArrives() {
        let text = String(repeating: "abcdefghij", count: 5) + "\n"  // 50 bytes
        let whole = Self.lines([Self.bytes(text)])
        #expect(whole == ["abcdefghijabcdef", "ghijabcdefghijab", "cdefghijabcdefgh", "ij"])
        let byteByByte = Self.lines(Self.bytes(text).map { [$0] })
        #expect(byteByByte == whole)
        for _ in 0..<50 {
            var chunks: [[UInt8]] = []
            var rest = Self.bytes(text)[...]
            while !rest.isEmpty {
                let size = Int.random(in: 1...rest.count)
                chunks.append(Array(rest.prefix(size)))
                rest = rest.dropFirst(size)
            }
            #expect(Self.lines(chunks) == whole, "chunks \(chunks.map(\.count))")
        }
    }

    @Test func aLineOfExactlyTheLimitIsOnePiece() {
        #expect(Self.lines([Self.bytes(String(repeating: "x", count: 16) + "\n")]) == [String(repeating: "x", count: 16)])
    }

    @Test func noPieceEndsInsideACharacter() {
        // "é" is two bytes and "😀" four; at a limit of 5 some cuts must move back.
        let text = String(repeating: "aé😀", count: 7)
        let pieces = Self.lines([Self.bytes(text + "\n")], limit: 5)
        #expect(pieces.joined() == text)
        for piece in pieces {
            #expect(piece.utf8.count <= 5)
            #expect(!piece.contains("\u{FFFD}"), "piece \(Array(piece.utf8)) was cut inside a character")
        }
    }

    @Test func bytesThatAreNotUTF8AreCutWhereTheLimitSays() {
        let continuation = [UInt8](repeating: 0x80, count: 10)
        var buffer = LineBuffer(limit: 4)
        var sizes: [Int] = []
        continuation.withUnsafeBytes { buffer.append($0) { sizes.append($0.count) } }
        #expect(sizes == [4, 4])
        buffer.finish { sizes.append($0.count) }
        #expect(sizes == [4, 4, 2])
    }
}

@Suite("Service labels")
struct ServiceLabelTests {
    @Test func labelsArePaddedToTheWidestName() {
        let labels = ServiceLabel.labels(for: ["web", "api-gateway", "db"], colour: false)
        #expect(labels.mapValues { String(decoding: $0, as: UTF8.self) } == [
            "web": "web         |", "api-gateway": "api-gateway |", "db": "db          |",
        ])
    }

    @Test func coloursFollowTheDeclaredOrderAndWrapAround() {
        let names = (0..<12).map { "s\($0)" }
        let labels = ServiceLabel.labels(for: names, colour: true)
        #expect(String(decoding: labels["s0"]!, as: UTF8.self) == "\u{1B}[36ms0  |\u{1B}[0m")
        #expect(String(decoding: labels["s1"]!, as: UTF8.self) == "\u{1B}[33ms1  |\u{1B}[0m")
        #expect(labels["s10"] != nil && String(decoding: labels["s10"]!, as: UTF8.self).hasPrefix("\u{1B}[36m"))
    }

    @Test func controlCharactersInANameAreShownEscaped() {
        let labels = ServiceLabel.labels(for: ["a\u{1B}b"], colour: false)
        #expect(String(decoding: labels["a\u{1B}b"]!, as: UTF8.self) == "a\\u{1b}b |")
    }
}

@Suite("Termination")
struct TerminationTests {
    @Test func waitStatusesAreDecoded() {
        #expect(Termination(waitStatus: 3 << 8) == .exited(3))
        #expect(Termination(waitStatus: 0) == .exited(0))
        #expect(Termination(waitStatus: 9) == .signalled(9))
        #expect(Termination(waitStatus: 0x80 | 11) == .signalled(11), "a core dump is still the signal")
        #expect(Termination(waitStatus: (19 << 8) | 0x7f) == nil, "stopped, not ended")
        #expect(Termination(waitStatus: 0xffff) == nil, "continued, not ended")
    }

    @Test func codesFollowTheShell() {
        #expect(Termination.exited(3).code == 3)
        #expect(Termination.signalled(15).code == 143)
        #expect(Termination.signalled(15).description == "signal 15 (SIGTERM)")
    }
}
