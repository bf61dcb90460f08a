import StyxyCore
import Testing

@Suite("Digest")
struct DigestTests {
    func hex(_ parts: [String]) -> String {
        var digest = Digest()
        for part in parts { digest.add(part) }
        return digest.hex
    }

    @Test func theSameInputGivesTheSameDigestAndAnyChangeAnother() {
        #expect(hex(["a", "b"]) == hex(["a", "b"]))
        #expect(hex(["a", "b"]).count == 32)
        let variants = [["a", "b"], ["b", "a"], ["ab"], ["a", "b", ""], ["a", "c"], []]
        #expect(Set(variants.map(hex)).count == variants.count)
    }

    /// Each string is closed with a separator, so where one ends is part of what is digested.
    @Test func partsCannotRunIntoEachOther() {
        #expect(hex(["ab", "c"]) != hex(["a", "bc"]))
    }

    @Test func bytesDigestAsAdded() {
        var digest = Digest()
        digest.add([1, 2, 3] as [UInt8])
        #expect(Digest.of([1, 2, 3]) == digest.hex)
        #expect(Digest.of([1, 2, 3]) != Digest.of([1, 2, 3, 0]))
    }
}

/// `Digest.add(encoding:)`: values that encode differently digest differently, however their
/// pieces could run together.
@Suite("Digest of an Encodable value")
struct DigestEncodingTests {
    struct Pair: Encodable {
        var first: String
        var second: String?
    }

    struct Lists: Encodable {
        var lists: [[String]]
    }

    /// Written by hand with a nested container, which has no brackets of its own.
    struct Nested: Encodable {
        var inner: [String]
        var outer: [String]

        enum Keys: String, CodingKey { case a, b }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            var nested = container.nestedContainer(keyedBy: Keys.self, forKey: .a)
            for value in inner { try nested.encode(value, forKey: .b) }
            for value in outer { try container.encode(value, forKey: .b) }
        }
    }

    struct Refusing: Encodable {
        struct Refused: Error {}
        func encode(to encoder: any Encoder) throws { throw Refused() }
    }

    func hex(_ value: some Encodable) -> String {
        var digest = Digest()
        digest.add(encoding: value)
        return digest.hex
    }

    @Test func boundariesNilsAndNestingAreAllPartOfIt() {
        let variants = [
            hex(Pair(first: "ab", second: "c")), hex(Pair(first: "a", second: "bc")), hex(Pair(first: "abc", second: nil)),
            hex(Pair(first: "abc", second: "")), hex(Lists(lists: [["a"], ["b"]])), hex(Lists(lists: [["a", "b"]])),
            hex(Lists(lists: [["a", "b"], []])), hex(Nested(inner: ["x", "y"], outer: [])), hex(Nested(inner: ["x"], outer: ["y"])),
            hex(Refusing()), hex(Lists(lists: [])), hex(Int64(1)), hex(UInt64(1)), hex(1.0), hex(true),
        ]
        #expect(Set(variants).count == variants.count)
        #expect(hex(Pair(first: "a", second: "bc")) == hex(Pair(first: "a", second: "bc")))
    }

    @Test func itAddsToWhatTheDigestHeld() {
        var digest = Digest()
        digest.add("prefix")
        digest.add(encoding: Pair(first: "a", second: nil))
        #expect(digest.hex != hex(Pair(first: "a", second: nil)))
    }
}
