import ArgumentParser
import StyxyCore
import StyxyEngine
import StyxyManifest

/// `--instance NAME`: parallel copies of one project (CI matrix jobs) get disjoint ports.
struct InstanceOptions: ParsableArguments {
    static let defaultInstance = Lease.defaultInstance

    @Option(help: "Lease a separate set of ports under this instance name (letters, digits, '.', '_', '-').")
    var instance: String = InstanceOptions.defaultInstance

    func validate() throws {
        guard Self.isValid(instance) else { throw ValidationError(Self.invalidMessage(instance)) }
    }

    static func isValid(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63, first != 0x2e, first != 0x2d else { return false }
        return name.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x41...0x5a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d }
    }

    static func invalidMessage(_ name: String) -> String {
        "instance names use letters, digits, '.', '_' and '-' (at most 63, not starting with '.' or '-'), found '\(name)'"
    }
}

/// `--ttl 2h`: leases that expire unless refreshed.
struct TTLOptions: ParsableArguments {
    @Option(help: "Let the leases expire this long after the last resolve (e.g. 30m, 2h, 1d); meant for CI.")
    var ttl: String?

    func validate() throws {
        if let ttl, Self.seconds(ttl) == nil { throw ValidationError(Self.invalidMessage(ttl)) }
    }

    static func seconds(_ text: String) -> Int64? {
        guard let value = DurationText.seconds(text), value >= 1 else { return nil }
        return Int64(value.rounded(.up))
    }

    static func invalidMessage(_ text: String) -> String {
        "--ttl takes a duration of at least 1s, such as 90s, 30m, 2h or 1d, found '\(text)'"
    }
}
