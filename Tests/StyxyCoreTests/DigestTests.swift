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
