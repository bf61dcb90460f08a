import StyxyCore
import StyxyEngine
import StyxyManifest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Styxy's use cases, one method each (`resolve`, `prepareRun`, `variables`, `matrix`, the lease
/// commands, `check`, `scan`, `doctor`, `validate`, `proposeManifest`), all functions of one
/// environment that return report values. The command line only parses, calls and prints; tests
/// call the same methods with an environment of their own.
package struct StyxyApp: Sendable {
    package let environment: StyxyEnvironment

    package init(_ environment: StyxyEnvironment) {
        self.environment = environment
    }

    package func workspace() throws(StyxyError) -> Workspace {
        try Workspace(environment)
    }

    /// The manifest a command reads: `given` as written, else `styxy.yaml` in the working folder or
    /// the nearest parent that has one, as a relative path (`../../styxy.yaml`), so messages point
    /// at it the way the user would type it. A manifest in a parent folder counts only when the
    /// current user owns it (the link itself, if it is one): someone else's `/tmp/styxy.yaml` must
    /// not decide where this user's outputs go. With none found, `styxy.yaml`, whose absence the
    /// loader reports.
    package func locateManifest(_ given: String?) -> String {
        if let given { return given }
        let name = ManifestLoader.defaultFileName
        var folder = environment.workingDirectory
        var up = ""
        while true {
            // lstat: a symbolic link someone else planted counts as theirs, wherever it points.
            var info = stat()
            if lstat(FileIO.join(folder, name), &info) == 0 {
                if up.isEmpty || info.st_uid == geteuid() { return up + name }
                return name
            }
            // A working folder that cannot be named (deleted, say) is searched alone.
            guard folder.hasPrefix("/"), folder != "/" else { return name }
            folder = FileIO.directory(of: folder)
            up += "../"
        }
    }
}

/// The options every leasing use case shares, however the command line was parsed.
package struct LeaseRequest: Sendable {
    /// As given with `-m`; nil looks for the nearest `styxy.yaml`.
    package var manifest: String?
    package var instance: String
    package var ttl: ResolveOptions.TTL

    package init(manifest: String? = nil, instance: String = Lease.defaultInstance, ttl: ResolveOptions.TTL = .keep) {
        self.manifest = manifest
        self.instance = instance
        self.ttl = ttl
    }
}
