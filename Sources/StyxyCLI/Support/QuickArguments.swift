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

    /// `options` maps every accepted spelling (`-m`, `--manifest`) to its canonical name.
    static func parse(_ words: [String], options: [String: String], flags known: Set<String>, allowTrailing: Bool = false) -> QuickArguments? {
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
            } else {
                return nil
            }
        }
        return result
    }

    static let commonOptions = ["-m": "manifest", "--manifest": "manifest", "--instance": "instance", "--ttl": "ttl"]
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
        self.init(manifest: quick.values["manifest"],
                  instance: quick.values["instance"] ?? InstanceOptions.defaultInstance, ttl: quick.values["ttl"])
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
