import StyxyCore
import StyxyManifest

/// A Docker Compose release number, as `docker compose version --short` prints it (`2.27.0`,
/// `v2.20.2`, `1.29.2`).
package struct ComposeVersion: Sendable, Comparable, CustomStringConvertible {
    package var major: Int
    package var minor: Int
    package var patch: Int

    /// The first release that reads the `!override` tag the compose-override template writes.
    package static let overrideTag = ComposeVersion(major: 2, minor: 24, patch: 4)

    package init(major: Int, minor: Int, patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Reads the first line's leading `[v]MAJOR.MINOR[.PATCH]`; anything after the numbers
    /// (`-desktop.1`, `+ds1`, build details) is ignored.
    package init?(parsing text: String) {
        var line = Substring(text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).first ?? "")
        line = line.drop { $0 == " " }
        if line.first == "v" { line = line.dropFirst() }
        let numbers = line.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }.split(separator: ".").map { Int($0) }
        guard numbers.count >= 2, let major = numbers[0], let minor = numbers[1] else { return nil }
        self.init(major: major, minor: minor, patch: numbers.count > 2 ? numbers[2] ?? 0 : 0)
    }

    package var description: String { "\(major).\(minor).\(patch)" }

    package static func < (a: ComposeVersion, b: ComposeVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }
}

/// The Compose the user would run: the `docker compose` plugin first (what Docker documents),
/// else the standalone `docker-compose` (version 1 from distributions, or a v2 binary).
package struct InstalledCompose: Sendable {
    package var command: String
    package var version: ComposeVersion

    package static func find(environment: [String: String]) -> InstalledCompose? {
        let candidates: [(shown: String, argv: [String])] = [
            ("docker compose", ["docker", "compose", "version", "--short"]),
            ("docker-compose", ["docker-compose", "version", "--short"]),
        ]
        for candidate in candidates {
            guard let (status, output) = ExternalCommand.run(candidate.argv, environment: environment), status == 0,
                  let version = ComposeVersion(parsing: output) else { continue }
            return InstalledCompose(command: candidate.shown, version: version)
        }
        return nil
    }
}

extension StyxyApp {
    /// The project's manifest, when there is one, and what its outputs need from the machine:
    /// a compose-override output needs a Compose that reads `!override`.
    func checkProject(manifest given: String?, catalog: Catalog, into report: inout DoctorReport) {
        let path = locateManifest(given)
        // Without -m and without a manifest here or above, doctor checks the machine only.
        guard given != nil || FileIO.exists(environment.absolute(path)) else { return }
        let manifest: Manifest
        do {
            manifest = try StyxyEnvironment.manifestLoader(catalog: catalog).load(path: path, relativeTo: environment.workingDirectory)
        } catch {
            let first = error.diagnostics.first?.rendered ?? error.description
            report.problem("manifest: \(first)" + (error.diagnostics.count > 1 ? " (and \(error.diagnostics.count - 1) more; `styxy validate` lists them)" : ""))
            return
        }
        report.ok("manifest: \(path): \(manifest.services.count) service(s), \(manifest.outputs.count) output(s)")
        guard let override = manifest.outputs.first(where: { $0.template == .builtin("compose-override") }) else { return }
        let file = override.path
        guard let compose = InstalledCompose.find(environment: environment.variables) else {
            report.note("compose: neither `docker compose` nor `docker-compose` runs here; \(file) needs Compose \(ComposeVersion.overrideTag) or later")
            return
        }
        if compose.version < ComposeVersion.overrideTag {
            report.warning("compose: \(compose.command) \(compose.version) is older than \(ComposeVersion.overrideTag) and cannot use \(file): "
                + (compose.version.major < 2 ? "it refuses the file's `!override` tags" : "it does not honour the `!override` tags, so the base file's fixed ports stay published")
                + "; upgrade to Compose \(ComposeVersion.overrideTag) or later, or publish each port through its variable in the base file"
                + (Self.fallbackExample(manifest).map { " (\($0))" } ?? "") + " and drop the override (docs/guides/compose.md)")
        } else {
            report.ok("compose: \(compose.command) \(compose.version) reads \(file)")
        }
    }

    /// The base-file spelling that works with every Compose, for the manifest's first Compose
    /// port: `"${API_PORT:-8000}:8000"`.
    static func fallbackExample(_ manifest: Manifest) -> String? {
        for service in manifest.services {
            for port in service.ports {
                guard let compose = port.compose, let variable = port.env.first else { continue }
                let suffix = service.transport == .udp ? "/udp" : ""
                return "\"${\(variable):-\(port.preferred ?? compose.target)}:\(compose.target)\(suffix)\" for \(compose.service)"
            }
        }
        return nil
    }
}
