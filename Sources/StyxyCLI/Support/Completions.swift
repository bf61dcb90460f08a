import ArgumentParser
import StyxyCore
import StyxyEngine
import StyxyKit
import StyxyManifest

/// Values the shell completion scripts ask for while the user types: the services of the manifest
/// the command would read, the instances that project holds leases for, the catalog's types.
/// They read the same manifest, configuration and state home the command would (`-m` from the
/// words typed so far, else the nearest `styxy.yaml`), and answer nothing rather than fail.
enum Completions {
    /// The value of `-m`/`--manifest` among the words typed so far.
    static func manifestWord(_ words: [String]) -> String? {
        for (index, word) in words.enumerated() {
            if (word == "-m" || word == "--manifest"), index + 1 < words.count { return words[index + 1] }
            if word.hasPrefix("--manifest=") { return String(word.dropFirst("--manifest=".count)) }
        }
        return nil
    }

    static func manifest(_ words: [String], environment: StyxyEnvironment) -> Manifest? {
        let path = StyxyApp(environment).locateManifest(manifestWord(words))
        return try? environment.manifestLoader().load(path: path, relativeTo: environment.workingDirectory)
    }

    static func services(_ words: [String], environment: StyxyEnvironment) -> [String] {
        manifest(words, environment: environment)?.services.map(\.name).sorted() ?? []
    }

    static func instances(_ words: [String], environment: StyxyEnvironment) -> [String] {
        guard let manifest = manifest(words, environment: environment),
              let home = try? StateHome.locate(environment: environment.variables),
              let state = try? Ledger(home: home).read(focus: manifest.root)
        else { return [] }
        return Set(state.leases.filter { !$0.isShared && $0.key.root == manifest.root }.map(\.key.instance)).sorted()
    }

    static func types(environment: StyxyEnvironment) -> [String] {
        ((try? environment.catalog())?.sortedTypes.map(\.name)) ?? []
    }

    // The forms ArgumentParser calls: the words typed, the index of the one being completed, and
    // the part of it before the cursor.

    static let serviceNames = CompletionKind.custom { words, _, prefix in
        services(words, environment: .process()).filter { $0.hasPrefix(prefix) }
    }

    static let instanceNames = CompletionKind.custom { words, _, prefix in
        instances(words, environment: .process()).filter { $0.hasPrefix(prefix) }
    }

    static let typeNames = CompletionKind.custom { _, _, prefix in
        types(environment: .process()).filter { $0.hasPrefix(prefix) }
    }
}
