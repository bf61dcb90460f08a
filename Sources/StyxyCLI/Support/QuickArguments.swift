import StyxyEngine
import StyxyKit

/// A strict little parser for the options of the commands that run inside every `npm run dev`.
///
/// ArgumentParser builds a command's argument set by reflecting over its properties, and each
/// reflected type costs a scan of every protocol conformance in the binary: 40% of a warm
/// resolve. This parser knows the exact spellings of those few options and nothing else; it
/// returns nil for anything it does not recognise (help, a typo, a repeated option, a missing
/// value), and ArgumentParser then parses the same words and explains. Both paths end in the same
/// settings struct, validated by the same code.
struct QuickArguments {
    var values: [String: String] = [:]
    var flags: Set<String> = []
    /// The words after `--`.
    var trailing: [String]?
    /// Words that are neither options nor flags, before `--`.
    var positionals: [String] = []

    /// `options` maps every accepted spelling (`-m`, `--manifest`) to its canonical name.
    static func parse(_ words: [String], options: [String: String], flags known: Set<String>, allowTrailing: Bool = false,
                      positionals allowed: Int = 0) -> QuickArguments? {
        var result = QuickArguments()
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            if word == "--" {
                guard allowTrailing else { return nil }
                result.trailing = Array(words[index...])
                return result
            }
            var name = word
            var inlineValue: String? = nil
            if word.hasPrefix("--"), let equals = word.firstIndex(of: "=") {
                name = String(word[..<equals])
                inlineValue = String(word[word.index(after: equals)...])
            }
            if known.contains(name) && inlineValue == nil {
                guard result.flags.insert(name).inserted else { return nil }
            } else if let canonical = options[name] {
                guard result.values[canonical] == nil else { return nil }
                if let inlineValue {
                    result.values[canonical] = inlineValue
                } else {
                    guard index < words.count, !words[index].hasPrefix("-") else { return nil }
                    result.values[canonical] = words[index]
                    index += 1
                }
            } else if !word.hasPrefix("-"), result.positionals.count < allowed {
                result.positionals.append(word)
            } else {
                return nil
            }
        }
        return result
    }

    static let commonOptions = [
        "-" + String(Spelling.manifestShort): Spelling.manifest, "--" + Spelling.manifest: Spelling.manifest,
        "--" + Spelling.instance: Spelling.instance, "--" + Spelling.ttl: Spelling.ttl,
    ]

    /// True when the flag spelled `--NAME` was given.
    func has(_ name: String) -> Bool { flags.contains("--" + name) }

    /// The value of the option spelled `--NAME`.
    func value(_ name: String) -> String? { values[name] }
}

/// The option names of the commands that have a quick parser, written once for both parsers:
/// ArgumentParser declares them with `.customLong(Spelling.x)`, `QuickArguments` reads the same.
enum Spelling {
    static let manifest = "manifest"
    static let manifestShort: Character = "m"
    static let instance = "instance"
    static let ttl = "ttl"
    static let format = "format"
    static let json = "json"
    static let dryRun = "dry-run"
    static let check = "check"
    static let reassign = "reassign"
    static let strict = "strict"
    static let adopt = "adopt"
    static let quiet = "quiet"
}

/// The options `resolve`, `run` and `env` share, however they were parsed.
struct CommonSettings {
    /// As given with `-m`; nil looks for the nearest `styxy.yaml`.
    var manifest: String?
    var instance: String
    var ttl: String?

    init(manifest: String?, instance: String, ttl: String?) {
        self.manifest = manifest
        self.instance = instance
        self.ttl = ttl
    }

    init(_ quick: QuickArguments) {
        self.init(manifest: quick.value(Spelling.manifest),
                  instance: quick.value(Spelling.instance) ?? InstanceOptions.defaultInstance, ttl: quick.value(Spelling.ttl))
    }

    /// What is wrong with them, in ArgumentParser's words; nil when they are fine.
    var problem: String? {
        if !InstanceOptions.isValid(instance) { return InstanceOptions.invalidMessage(instance) }
        if let ttl, TTLOptions.choice(ttl) == nil { return TTLOptions.invalidMessage(ttl) }
        return nil
    }

    var ttlChoice: ResolveOptions.TTL { TTLOptions.choice(ttl) ?? .keep }

    /// What the use cases take.
    var request: LeaseRequest { LeaseRequest(manifest: manifest, instance: instance, ttl: ttlChoice) }
}
