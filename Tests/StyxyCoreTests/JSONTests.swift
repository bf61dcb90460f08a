import StyxyCore
import Testing

/// The JSON writer every `--json` report and the ledger go through, and the reader for caches and
/// the reference ledger reader.
@Suite("JSON")
struct JSONTests {
    static let sample = JSONValue.object([
        ("text", .string("quote \" backslash \\ newline \n tab \t bell \u{7} sep \u{2028} ünï")),
        ("numbers", .array([.int(0), .int(-42), .int(1_795_938_342), .number(1.5)])),
        ("empty", .object([])),
        ("none", .array([])),
        ("flags", .array([.bool(true), .bool(false), .null])),
        ("nested", .object([("a", .array([.object([("b", .string(""))])]))])),
    ])

    @Test func compactTextIsExact() {
        #expect(Self.sample.serialized(compact: true) == #"""
            {"text":"quote \" backslash \\ newline \n tab \t bell \u0007 sep \u2028 ünï","numbers":[0,-42,1795938342,1.5],"empty":{},"none":[],"flags":[true,false,null],"nested":{"a":[{"b":""}]}}
            """#)
    }

    @Test func indentedTextIsExact() {
        #expect(JSONValue.object([("a", .array([.int(1), .object([("b", .null)])])), ("c", .object([]))]).serialized() == """
            {
              "a": [
                1,
                {
                  "b": null
                }
              ],
              "c": {}
            }

            """)
    }

    @Test func whatIsWrittenParsesBackToTheSameValue() throws {
        for compact in [true, false] {
            #expect(try JSONValue.parse(Self.sample.bytes(compact: compact)) == Self.sample)
        }
    }

    @Test("a lone or mispaired surrogate escape is a parse error, not a crash (a planted cache entry reaches this reader)",
          arguments: [#"["\ud800\u0041"]"#, #"["\ud800\ud800"]"#, #"["\udc00"]"#, #"["\ud800"]"#])
    func badSurrogatesAreErrors(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test func aSurrogatePairDecodes() throws {
        #expect(try JSONValue.parse(Array(#"["\ud83d\ude00"]"#.utf8)) == .array([.string("\u{1F600}")]))
    }

    @Test(arguments: [Int64.min, -1, 0, 7, 10, 99, 100, Int64.max])
    func decimals(_ value: Int64) {
        var out: [UInt8] = []
        out.append(decimal: value)
        #expect(String(decoding: out, as: UTF8.self) == String(value))
    }

    @Test(arguments: [
        ("[1] x", "unexpected data after the JSON value"), ("[\"a\u{1}\"]", "control character in a string"),
        ("[\"abc", "unfinished string"), ("{\"a\" 1}", "expected ':'"), ("[1,]", "expected a value"), ("", "unexpected end of data"),
        ("[tru]", "unexpected literal"), ("{1: 2}", "expected a key"),
        // RFC 8259 and nothing looser: the ledger's fuzzer holds the ledger reader to this one.
        ("[+1]", "expected a value"), ("[.5]", "expected a value"), ("[1.]", "expected a digit after the decimal point"),
        ("[01]", "a number with a leading zero"), ("[-]", "expected a value"), ("[1e]", "expected a digit in the exponent"),
        ("[inf]", "expected a value"), ("[nan]", "unexpected literal"), (#"["\q"]"#, "invalid escape"), (#"["\u+041"]"#, "invalid \\u escape"),
    ])
    func malformedTextIsAnErrorThatSaysWhere(_ text: String, _ message: String) {
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(text.utf8)) }
        #expect(error?.message == message, "\(text.debugDescription): \(String(describing: error))")
    }

    /// Integers are kept exact to 64 bits; past that, or with a fraction or exponent, a number is a double.
    @Test func integersAreExact() throws {
        #expect(try JSONValue.parse(Array("[9223372036854775807, -9223372036854775808, -0, 9007199254740993]".utf8))
            == .array([.integer(.max), .integer(.min), .integer(0), .integer(9_007_199_254_740_993)]))
        #expect(try JSONValue.parse(Array("[9223372036854775808, 1.0, 1e2]".utf8)) == .array([.number(9.223372036854775808e18), .number(1), .number(100)]))
        #expect(JSONValue.integer(.max).serialized(compact: true) == "9223372036854775807")
        #expect(JSONValue.int(7) == .integer(7))
    }

    /// 64 levels is the most any reader of ours takes: a file of a million `[` is an error, not a stack overflow.
    @Test func nestingIsLimited() throws {
        func nested(_ depth: Int) -> [UInt8] { Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8) }
        #expect(throws: Never.self) { try JSONValue.parse(nested(64)) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(nested(65)) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(repeating: UInt8(ascii: "["), count: 1_000_000)) }
    }

    @Test func accessorsAnswerOnlyForTheirKind() {
        let value = JSONValue.object([("n", .int(3)), ("f", .number(1.5)), ("s", .string("x")), ("b", .bool(true)), ("a", .array([]))])
        #expect(value["n"]?.intValue == 3 && value["f"]?.intValue == nil && value["s"]?.intValue == nil)
        #expect(value["s"]?.stringValue == "x" && value["n"]?.stringValue == nil)
        #expect(value["b"]?.boolValue == true && value["a"]?.arrayValue == [] && value["missing"] == nil)
        #expect(JSONValue.number(1e16).intValue == nil, "past 2^53 a double is no exact integer")
        #expect(JSONValue.optional(nil) == .null && JSONValue.optional("y") == .string("y"))
    }
}

