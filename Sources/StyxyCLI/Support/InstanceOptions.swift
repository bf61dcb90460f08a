import ArgumentParser
import StyxyCore
import StyxyEngine
import StyxyManifest

/// `--instance NAME`: parallel copies of one project (CI matrix jobs) get disjoint ports.
struct InstanceOptions: ParsableArguments {
    @Option(help: "Lease a separate set of ports under this instance name (letters, digits, '.', '_', '-').")
    var instance: String = Lease.defaultInstance

    func validate() throws {
        guard Self.isValid(instance) else {
            throw ValidationError("instance names use letters, digits, '.', '_' and '-' (at most 63), found '\(instance)'")
        }
    }

    static func isValid(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63, first != 0x2e, first != 0x2d else { return false }
        return name.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x41...0x5a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d }
    }
}

/// `--ttl 2h`: leases that expire unless refreshed.
struct TTLOptions: ParsableArguments {
    @Option(help: "Let the leases expire this long after the last resolve (e.g. 30m, 2h, 1d); meant for CI.")
    var ttl: String?

    var seconds: Int64? {
        get throws {
            guard let ttl else { return nil }
            guard let value = DurationText.seconds(ttl), value >= 1 else {
                throw ValidationError("--ttl takes a duration such as 90s, 30m, 2h or 1d, found '\(ttl)'")
            }
            return Int64(value.rounded(.up))
        }
    }

    func validate() throws { _ = try seconds }
}
