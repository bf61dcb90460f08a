import StyxyCore
import StyxyManifest
import StyxyRender

#if canImport(Glibc)
import Glibc
#endif

/// What a command reads from the process: environment variables, the catalog in force and the
/// manifest loader built on it. One place, so every command resolves them the same way.
struct CommandEnvironment {
    let variables: [String: String]

    /// The templates compiled into the binary, by name.
    static let builtinTemplateNames = Set(TemplateStore.builtinNames)

    init(variables: [String: String] = CommandEnvironment.processVariables()) {
        self.variables = variables
    }

    func catalog() throws(StyxyError) -> Catalog {
        try Catalog.load(environment: variables)
    }

    func manifestLoader() throws(StyxyError) -> ManifestLoader {
        ManifestLoader(catalog: try catalog(), builtinTemplates: Self.builtinTemplateNames)
    }

    static func processVariables() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}
