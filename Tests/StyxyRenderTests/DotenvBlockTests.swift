import Testing

@testable import StyxyRender

@Suite("Dotenv block merge")
struct DotenvBlockTests {
    let body = "WEB_PORT=3000\n"
    var block: String { DotenvBlock.beginMarker + "\n" + body + DotenvBlock.endMarker + "\n" }

    func merge(_ existing: String?) throws -> String {
        String(decoding: try DotenvBlock.merge(body: body, into: existing.map { Array($0.utf8) }), as: UTF8.self)
    }

    @Test("a missing or empty file gets the block alone")
    func emptyFiles() throws {
        #expect(try merge(nil) == block)
        #expect(try merge("") == block)
    }

    @Test("a file without a block keeps every byte and gets the block appended",
          arguments: [
              "SECRET=1\n",
              "SECRET=1",  // no final newline: exactly one is added before the block
              "# comment\n\n  SPACED = x  \r\nLAST=1\n\n",
              "\n",
          ])
    func append(_ user: String) throws {
        let separator = user.hasSuffix("\n") ? "" : "\n"
        #expect(try merge(user) == user + separator + block)
    }

    @Test("a hand-edited block is replaced; the user's lines around it stay byte for byte",
          arguments: [
              ("A=1\n# note\n", "\nB=2\r\nC=3"),  // ends without a newline
              ("", "TAIL=1\n"),
              ("HEAD=1\n", ""),
          ])
    func replace(_ before: String, _ after: String) throws {
        let edited = DotenvBlock.beginMarker + "\nWEB_PORT=1234\nMINE=hand-added\n" + DotenvBlock.endMarker + "\n"
        #expect(try merge(before + edited + after) == before + block + after)
    }

    @Test("a CRLF file gets a CRLF block, and keeps it on every later merge")
    func crlfFiles() throws {
        let crlfBlock = block.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try merge("A=1\r\nB=2\r\n") == "A=1\r\nB=2\r\n" + crlfBlock)
        #expect(try merge("A=1\r\nB=2") == "A=1\r\nB=2\r\n" + crlfBlock, "a missing final newline is added as CRLF")
        let once = try merge("A=1\r\n")
        #expect(try merge(once) == once)
        let handEdited = "A=1\r\n" + DotenvBlock.beginMarker + "\r\nWEB_PORT=1\r\n" + DotenvBlock.endMarker + "\r\nTAIL=1\r\n"
        #expect(try merge(handEdited) == "A=1\r\n" + crlfBlock + "TAIL=1\r\n")
        #expect(try merge("A=1\nB=2\r\n") == "A=1\nB=2\r\n" + block, "the first line decides: LF")
    }

    @Test("merging twice changes nothing the second time")
    func idempotent() throws {
        for user in ["A=1", "A=1\n", "", "x\n\n\n"] {
            let once = try merge(user)
            #expect(try merge(once) == once)
        }
    }

    @Test("an older marker wording is still recognised, and an end marker without a newline keeps lacking one")
    func markerVariants() throws {
        let old = "A=1\n# >>> styxy (generated; edit styxy.yaml instead) >>>\nX=1\n# <<< styxy <<<"
        #expect(try merge(old) == "A=1\n" + DotenvBlock.beginMarker + "\n" + body + DotenvBlock.endMarker)
    }

    @Test("a begin marker without an end marker is refused with its line, not eaten to the end of the file")
    func unterminated() {
        let text = "A=1\n" + DotenvBlock.beginMarker + "\nWEB_PORT=1\nUSER_SECRET=keep-me\n"
        #expect(throws: DotenvBlock.MergeProblem.unterminated(beginLine: 2)) { try merge(text) }
    }

    @Test("two blocks are refused")
    func twoBlocks() {
        let text = block + "A=1\n" + block
        #expect(throws: DotenvBlock.MergeProblem.severalBlocks(lines: [1, 5])) { try merge(text) }
    }

    @Test("an empty body still makes a well-formed block")
    func emptyBody() throws {
        let merged = String(decoding: try DotenvBlock.merge(body: "", into: nil), as: UTF8.self)
        #expect(merged == DotenvBlock.beginMarker + "\n" + DotenvBlock.endMarker + "\n")
    }
}
