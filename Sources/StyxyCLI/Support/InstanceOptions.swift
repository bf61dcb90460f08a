import ArgumentParser
import StyxyCore
import StyxyEngine
import StyxyManifest

/// `--instance NAME`: parallel copies of one project (CI matrix jobs) get disjoint ports.
struct InstanceOptions: ParsableArguments {
    static let defaultInstance = Lease.defaultInstance

    @Option(name: .customLong(Spelling.instance), help: "Lease a separate set of ports under this instance name (letters, digits, '.', '_', '-').",
            completion: Completions.instanceNames)
    var instance: String = InstanceOptions.defaultInstance

    func validate() throws {
        guard Self.isValid(instance) else { throw ValidationError(Self.invalidMessage(instance)) }
    }

    static func isValid(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63, first != 0x2e, first != 0x2d else { return false }
        return name.utf8.allSatisfy { ASCII.isAlphanumeric($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d }
    }

    static func invalidMessage(_ name: String) -> String {
        "instance names use letters, digits, '.', '_' and '-' (at most 63, not starting with '.' or '-'), found '\(name)'"
    }
}

/// `--ttl 2h`: leases that expire unless refreshed.
struct TTLOptions: ParsableArguments {
    @Option(name: .customLong(Spelling.ttl), help: "Let the leases expire this long after the last resolve (e.g. 30m, 2h, 1d; at most \(TTLOptions.longest); meant for CI). Later commands without --ttl keep it; --ttl none makes them permanent.")
    var ttl: String?

    static let longest = DurationText.describe(Double(Lease.maximumTTL))

    func validate() throws {
        if let ttl, Self.choice(ttl) == nil { throw ValidationError(Self.invalidMessage(ttl)) }
    }

    /// nil for text that is neither a duration nor `none`.
    static func choice(_ text: String?) -> ResolveOptions.TTL? {
        guard let text else { return .keep }
        if text == "none" { return .clear }
        return seconds(text).map(ResolveOptions.TTL.set)
    }

    static func seconds(_ text: String) -> Int64? {
        guard case .seconds(let value) = DurationText.read(text, maximum: Double(Lease.maximumTTL)), value >= 1 else { return nil }
        return Int64(value.rounded(.up))
    }

    static func invalidMessage(_ text: String) -> String {
        if DurationText.read(text, maximum: Double(Lease.maximumTTL)) == .tooLong {
            return "--ttl is at most \(longest) (ten years), found '\(text)'; for a lease that never expires, leave --ttl out or pass --ttl none"
        }
        return "--ttl takes a duration of at least 1s, such as 90s, 30m, 2h or 1d, or none; found '\(text)'"
    }
}
