import StyxyCore
@testable import StyxyManifest
import StyxyTestSupport

extension Repository {
    static let manifestFixtures = root + "/Tests/Fixtures/manifests"
    static let configFixtures = root + "/Tests/Fixtures/config"
}

/// The template names the CLI compiles in (CommandEnvironment.builtinTemplateNames).
let builtinTemplateNames: Set<String> = ["dotenv", "compose-override", "npm-scripts", "json", "shell"]

func builtinLoader() -> ManifestLoader {
    ManifestLoader(catalog: Catalog.builtin(), builtinTemplates: builtinTemplateNames)
}

/// What loading gave: the manifest, or the exit status and rendered diagnostics of the failure.
enum LoadOutcome {
    case loaded(Manifest)
    case failed(StyxyCore.ExitStatus, [String])

    init(_ body: () throws(StyxyError) -> Manifest) {
        do {
            self = .loaded(try body())
        } catch {
            self = .failed(error.exitStatus, error.diagnostics.map(\.rendered))
        }
    }

    var diagnostics: [String] {
        if case .failed(_, let lines) = self { return lines }
        return []
    }
}
