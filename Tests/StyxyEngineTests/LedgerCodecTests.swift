import StyxyCore
@testable import StyxyEngine
import Testing

/// The ledger's byte-level codec: round trips, the focused read a warm resolve uses, and the
/// JSON a person might leave in the file.
@Suite("Ledger codec")
struct LedgerCodecTests {
    /// A lease of the project at `root`, or a shared one for nil.
    static func lease(_ root: String?, _ service: String, port: Int, instance: String = "default") -> Lease {
        Lease(key: LeaseKey(owner: root.map { .project(root: $0) } ?? .shared, service: service, portName: "default", instance: instance),
              project: "p \"q\"", manifest: (root ?? "") + "/styxy.yaml", port: port, createdAt: 1_700_000_000, refreshedAt: 1_700_000_100,
              expiresAt: 1_700_003_700, ttl: 3600, retiredPorts: port == 3001 ? [3999] : [])
    }

    static let state = LedgerState(generation: 7, leases: [
        lease("/b/two", "web", port: 3001), lease("/a/one", "api", port: 8000), lease(nil, "ollama", port: 11430),
        lease("/a/one", "web", port: 3000, instance: "ci-1"), lease("/a/one\\tab", "web", port: 3002),
    ])

    @Test func aWrittenLedgerReadsBackWhole() throws {
        let decoded = try LedgerCodec.decode(try LedgerCodec.encode(Self.state))
        #expect(decoded.generation == 7)
        #expect(decoded.leases == Self.state.leases.sorted { $0.key < $1.key })
    }

    @Test func aFocusedReadKeepsOneRootAndTheSharedLeases() throws {
        let bytes = try LedgerCodec.encode(Self.state)
        let focused = try LedgerCodec.decode(bytes, focus: "/a/one")
        #expect(focused.leases.map(\.key.service).sorted() == ["api", "ollama", "web"])
        #expect(focused.leases.allSatisfy { $0.key.root == "/a/one" || $0.isShared })
        let escaped = try LedgerCodec.decode(bytes, focus: "/a/one\\tab")
        #expect(escaped.leases.map(\.port).sorted() == [3002, 11430], "a root with an escape is matched too")
    }

    @Test func aDamagedLeaseOutOfFocusStillFailsTheRead() throws {
        var text = String(decoding: try LedgerCodec.encode(Self.state), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"port\":3001", with: "\"port\":\"3001\"")
        #expect(throws: LedgerCodec.Problem.self) { try LedgerCodec.decode(Array(text.utf8), focus: "/a/one") }
    }

    /// The file format, byte for byte: what ledgers already on disk hold and what older and newer
    /// Styxy versions read. Shared leases are spelled with an empty root and sort first.
    @Test func theBytesAreTheLedgerFormat() throws {
        var udp = Self.lease(nil, "dns", port: 5353)
        udp.transport = .udp
        udp.ttl = nil
        udp.expiresAt = nil
        udp.preferred = 53
        let bytes = try LedgerCodec.encode(LedgerState(generation: 2, leases: [Self.lease("/a/one", "web", port: 3001), udp]))
        let expected = #"""
            {"format":"styxy-ledger","schema_version":1,"generation":2,"leases":[
            {"root":"","service":"dns","port_name":"default","instance":"default","port":5353,"protocol":"udp","project":"p \"q\"","manifest":"/styxy.yaml","created_at":1700000000,"refreshed_at":1700000100,"expires_at":null,"ttl_seconds":null,"preferred":53},
            {"root":"/a/one","service":"web","port_name":"default","instance":"default","port":3001,"protocol":"tcp","project":"p \"q\"","manifest":"/a/one/styxy.yaml","created_at":1700000000,"refreshed_at":1700000100,"expires_at":1700003700,"ttl_seconds":3600,"retired_ports":[3999]}
            ]}

            """#
        #expect(String(decoding: bytes, as: UTF8.self) == expected)
        let read = try LedgerCodec.decode(bytes)
        #expect(read.leases.first?.key == .shared(service: "dns", portName: "default") && read.leases.first?.isShared == true)
        #expect(read.leases.first?.transport == .udp)
    }

    /// The ledger spells "shared" as an empty root, so a project key with one cannot be written:
    /// it would come back as a shared lease.
    @Test func aProjectKeyWithAnEmptyRootIsNotWritten() {
        let state = LedgerState(leases: [Self.lease("", "web", port: 3000)])
        #expect(throws: LedgerCodec.Unwritable.self) { try LedgerCodec.encode(state) }
    }

    @Test(arguments: [(#""protocol":"udp""#, Transport?.some(.udp)), (#""protocol":null"#, .tcp), (#""protocol":"TCP""#, nil),
                      (#""protocol":"sctp""#, nil), (#""protocol":3"#, nil)])
    func theProtocolIsTCPOrUDP(_ field: String, _ expected: Transport?) throws {
        var text = String(decoding: try LedgerCodec.encode(LedgerState(leases: [Self.lease("/a", "web", port: 3000)])), as: UTF8.self)
        text = text.replacingOccurrences(of: #""protocol":"tcp""#, with: field)
        if let expected {
            #expect(try LedgerCodec.decode(Array(text.utf8)).leases.first?.transport == expected)
        } else {
            // Whether or not the damaged lease is in focus.
            #expect(throws: LedgerCodec.Problem.self) { try LedgerCodec.decode(Array(text.utf8)) }
            #expect(throws: LedgerCodec.Problem.self) { try LedgerCodec.decode(Array(text.utf8), focus: "/b") }
        }
    }

    @Test func repeatedKeysAreFoundSortedOrNot() throws {
        let twice = LedgerState(generation: 1, leases: [Self.lease("/a", "web", port: 3000), Self.lease("/b", "web", port: 3001)])
        var text = String(decoding: try LedgerCodec.encode(twice), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"root\":\"/b\"", with: "\"root\":\"/a\"")
        #expect(throws: LedgerCodec.Problem.self) { try LedgerCodec.decode(Array(text.utf8)) }
        // Out of order, the same key twice, far apart.
        let three = LedgerState(generation: 1, leases: [Self.lease("/a", "web", port: 3000), Self.lease("/b", "web", port: 3001), Self.lease("/c", "web", port: 3002)])
        text = String(decoding: try LedgerCodec.encode(three), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"root\":\"/c\"", with: "\"root\":\"/a\"").replacingOccurrences(of: "\"root\":\"/b\"", with: "\"root\":\"/z\"")
        #expect(throws: LedgerCodec.Problem.self) { try LedgerCodec.decode(Array(text.utf8)) }
        #expect(throws: LedgerCodec.Problem.self) { try LedgerCodec.decode(Array(text.utf8), focus: "/z") }
    }

    @Test func handWrittenJSONIsAccepted() throws {
        let text = """
            { "leases" : [ { "port": 3000, "instance": "default", "service": "w\\u0065b", "port_name": "default",
                 "root": "/x", "created_at": "2026-01-01T00:00:00Z", "refreshed_at": 1767225600,
                 "expires_at": null, "a_later_field": {"nested": [1, true, null]} } ],
              "generation": 3, "schema_version": 1, "format": "styxy-ledger" }
            """
        let state = try LedgerCodec.decode(Array(text.utf8))
        #expect(state.generation == 3)
        #expect(state.leases.first?.key.service == "web")
        #expect(state.leases.first?.createdAt == 1_767_225_600 && state.leases.first?.refreshedAt == 1_767_225_600)
    }

    @Test(arguments: [0, 1_767_225_600, 951_782_400, 4_102_444_799, 1_709_208_000])
    func timestampsRoundTrip(_ seconds: Int64) {
        #expect(Timestamp.parse(Timestamp.format(seconds)) == seconds)
    }

    @Test func timestampsMatchTheCalendar() {
        #expect(Timestamp.format(951_782_400) == "2000-02-29T00:00:00Z")
        #expect(Timestamp.format(1_767_225_599) == "2025-12-31T23:59:59Z")
        #expect(Timestamp.parse("2024-02-29T12:00:00Z") == 1_709_208_000)
    }
}

@Suite("The kernel's lock table")
struct LockTableTests {
    @Test func theHolderIsFoundByDeviceAndInode() {
        let table = """
            1: POSIX  ADVISORY  WRITE 111 fd:01:99 0 EOF
            2: FLOCK  ADVISORY  WRITE 222 00:2d:99 0 EOF
            3: FLOCK  ADVISORY  WRITE 333 fd:01:99 0 EOF
            3: -> FLOCK  ADVISORY  WRITE 444 fd:01:99 0 EOF
            """
        // Device fd:01 is major 0xfd, minor 1.
        #expect(LedgerLock.lockingProcess(device: 0xfd01, inode: 99, locks: table) == 333)
        #expect(LedgerLock.lockingProcess(device: 0x002d, inode: 99, locks: table) == 222)
        #expect(LedgerLock.lockingProcess(device: 0xfd01, inode: 98, locks: table) == nil)
    }
}

/// The string scan the reader runs eight bytes a step, against the plain byte-by-byte answer, at
/// every position across word boundaries.
@Suite("Ledger string scan")
struct LedgerStringScanTests {
    static func plainAnswer(_ bytes: [UInt8], from start: Int) -> JSONBytes.StringEnd {
        for index in start..<bytes.count {
            switch bytes[index] {
            case 0x22: return .plain(index)
            case 0x5C: return .escaped
            case 0..<0x20: return .control
            default: continue
            }
        }
        return .unterminated
    }

    @Test(arguments: [UInt8(0x22), 0x5C, 0x00, 0x1F, 0x0A])
    func findsTheFirstStopAnywhere(_ stop: UInt8) {
        for length in 0..<24 {
            for position in 0...length {
                // Text with bytes on both sides of the tests' thresholds: 0x20, 0x21, 0x5B, 0x5D, 0xC3.
                var bytes = (0..<length).map { [0x20, 0x21, 0x5B, 0x5D, 0xC3, 0x61][$0 % 6] as UInt8 }
                if position < length { bytes[position] = stop }
                for start in [0, min(1, length)] {
                    let expected = Self.plainAnswer(bytes, from: start)
                    let found = bytes.withUnsafeBufferPointer { JSONBytes.scanString($0, from: start) }
                    #expect(found == expected, "length \(length), \(stop) at \(position), from \(start)")
                }
            }
        }
    }
}
