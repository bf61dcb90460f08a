import StyxyCore
import StyxyEngine
import Testing

/// `lease ls --json` writes its document straight to bytes; it must be exactly what the general
/// JSON writer makes of `Lease.json`, which docs/json.md documents.
@Suite("Lease listing")
struct LeaseListingTests {
    static func viaValues(_ leases: [Lease], _ name: String) -> [UInt8] {
        JSONValue.object([("format_version", .int(1)), ("styxy_version", .string(StyxyRelease.version)), (name, .array(leases.map(\.json)))]).bytes()
    }

    static let samples: [Lease] = [
        Lease(key: LeaseKey(root: "/srv/shop", service: "web", portName: "default", instance: "default"), project: "shop",
              manifest: "/srv/shop/styxy.yaml", port: 3000, createdAt: 0, refreshedAt: 1_790_000_000),
        Lease(key: .shared(service: "ollama", portName: "default"), project: "", manifest: "", port: 11434, transport: .udp,
              createdAt: 1_790_000_000, refreshedAt: 1_790_000_060, expiresAt: Timestamp.range.upperBound, ttl: 7200),
        // Text that needs escapes, non-ASCII, a named port, retired ports and a preference.
        Lease(key: LeaseKey(root: "/home/zoë/\"quoted\"\\dir\n", service: "emulators", portName: "ui", instance: "job-7"),
              project: "zoë's\u{2028}shop\t", manifest: "/home/zoë/styxy.yaml", port: 65535, createdAt: 951_782_400,
              refreshedAt: 4_102_444_800, expiresAt: 4_102_448_400, ttl: 3600, retiredPorts: [4000, 1], preferred: 4001),
        Lease(key: LeaseKey(root: "/r", service: "a", portName: "default", instance: "default"), project: "r", manifest: "/r/styxy.yaml",
              port: 1, createdAt: 86_399, refreshedAt: 86_400, retiredPorts: [2]),
    ]

    @Test(arguments: [0, 1, 2, 4])
    func bytesMatchTheGeneralWriter(count: Int) {
        let leases = Array(Self.samples.prefix(count))
        #expect(LeaseListing.bytes(leases, under: "leases") == Self.viaValues(leases, "leases"),
                "\(String(decoding: LeaseListing.bytes(leases, under: "leases"), as: UTF8.self))")
        #expect(LeaseListing.bytes(leases, under: "released") == Self.viaValues(leases, "released"))
    }

    @Test func timesAppendAsTheyFormat() {
        for seconds: Int64 in [-5, 0, 59, 86_399, 951_782_400, 1_790_000_000, Timestamp.range.upperBound, .max] {
            var bytes: [UInt8] = Array("x".utf8)
            Timestamp.append(seconds, to: &bytes)
            #expect(bytes == Array(("x" + Timestamp.format(seconds)).utf8))
            #expect(Timestamp.format(seconds).count == 20)
        }
        #expect(Timestamp.format(951_782_400) == "2000-02-29T00:00:00Z")
    }
}
