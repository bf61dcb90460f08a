import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyProbe
import StyxyRender

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything a use case takes from the world outside the project: environment variables, the
/// folder relative paths start from, what the operating system says about ports, and the clock.
/// The command line builds it from the process (`StyxyEnvironment.process()`); tests build one of
/// their own, with a scratch state home, a test probe and a clock they move by hand.
package struct StyxyEnvironment: Sendable {
    package var variables: [String: String]
    /// Absolute; relative paths on the command line (`-m ../styxy.yaml`, `init --dir app`) start here.
    package var workingDirectory: String
    package var probe: any PortProbe
    /// Seconds since 1970, UTC.
    package var clock: @Sendable () -> Int64

    package init(variables: [String: String], workingDirectory: String, probe: any PortProbe,
                 clock: @escaping @Sendable () -> Int64 = Timestamp.now) {
        self.variables = variables
        self.workingDirectory = workingDirectory
        self.probe = probe
        self.clock = clock
    }

    /// This process's variables and folder, the kernel's socket tables and the system clock.
    package static func process() -> StyxyEnvironment {
        StyxyEnvironment(variables: processVariables(), workingDirectory: FileIO.currentDirectory(), probe: LinuxPortProbe())
    }

    /// The templates compiled into the binary, by name.
    package static let builtinTemplateNames = Set(TemplateStore.builtinNames)

    package func catalog() throws(StyxyError) -> Catalog {
        try Catalog.load(environment: variables)
    }

    package func manifestLoader() throws(StyxyError) -> ManifestLoader {
        Self.manifestLoader(catalog: try catalog())
    }

    /// The one way a manifest is loaded: with the built-in templates' names, and every command's
    /// `{{…}}` checked with the rest of the file.
    package static func manifestLoader(catalog: Catalog) -> ManifestLoader {
        ManifestLoader(catalog: catalog, builtinTemplates: builtinTemplateNames) { command, names, variables in
            commandProblems(command, service: names.service, ports: names.ports, variables: variables)
        }
    }

    /// `path` as the process would open it: relative paths start at `workingDirectory`.
    package func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileIO.join(workingDirectory, path)
    }

    /// True when colour may be used on a terminal: no `NO_COLOR`, no `TERM=dumb`.
    package var allowsColour: Bool {
        (variables["NO_COLOR"] ?? "").isEmpty && variables["TERM"] != "dumb"
    }

    package static func processVariables() -> [String: String] {
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
