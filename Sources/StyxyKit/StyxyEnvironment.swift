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
        var count = 0
        while environ[count] != nil { count += 1 }
        return variables(UnsafeBufferPointer(start: environ, count: count).lazy.compactMap { $0.map { String(cString: $0) } },
                         count: count)
    }

    /// `NAME=value` entries as a dictionary, split at the first `=`; entries without one are
    /// left out, and a later entry wins.
    package static func variables(_ entries: some Sequence<String>, count: Int) -> [String: String] {
        // Sized once: growing it a variable at a time rehashed it several times on every start.
        var result: [String: String] = [:]
        result.reserveCapacity(count)
        for text in entries {
            // The first `=` byte is the first `=` character when ASCII surrounds it (only a mark
            // could join it into a larger character), and finding it costs a fraction of the
            // character search, which the rare rest still take.
            let bytes = text.utf8
            if let equals = bytes.firstIndex(of: UInt8(ascii: "=")), bytes[..<equals].allSatisfy({ $0 < 0x80 }),
               bytes.index(after: equals) == bytes.endIndex || bytes[bytes.index(after: equals)] < 0x80 {
                result[String(text[..<equals])] = String(text[bytes.index(after: equals)...])
            } else if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
        }
        return result
    }
}
