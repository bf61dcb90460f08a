import Foundation
import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyProbe
import StyxyTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One test's world: the shared `Sandbox` (a private state home and project folders under one
/// temporary folder that goes away with the value), with a fake probe, a clock and a catalog.
final class EngineSandbox {
    private let world: Sandbox
    let root: String
    let home: StateHome
    let ledger: Ledger
    let probe: FakePortProbe
    let clock: TestClock
    var catalog: Catalog

    init(probe: FakePortProbe = FakePortProbe(), catalog: Catalog = Catalog.builtin()) throws {
        world = try Sandbox()
        root = world.root
        home = StateHome(path: world.home)
        ledger = Ledger(home: home)
        self.probe = probe
        self.clock = TestClock()
        self.catalog = catalog
    }

    /// The canonical root of a project folder under the sandbox, created when missing.
    func projectRoot(_ name: String) -> String {
        let path = world.projectRoot(name)
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Parses `yaml` as the manifest of project `name` (writing it to disk too, so prune sees it).
    func manifest(_ name: String, _ yaml: String) throws -> Manifest {
        try world.project(name, yaml)
        let loader = ManifestLoader(catalog: catalog, builtinTemplates: ["dotenv", "compose-override", "npm-scripts", "json", "shell"])
        return try loader.parse(Array(yaml.utf8), path: "styxy.yaml", root: world.projectRoot(name))
    }

    func resolver(lockTimeout: Double = 5) -> Resolver {
        Resolver(ledger: ledger, probe: probe, catalog: catalog, lockTimeout: lockTimeout, clock: clock.function)
    }

    @discardableResult
    func resolve(_ manifest: Manifest, _ options: ResolveOptions = ResolveOptions()) throws -> ResolveReport {
        try resolver().resolve(manifest, options: options)
    }

    func maintenance(lockTimeout: Double = 5) -> LeaseMaintenance {
        LeaseMaintenance(ledger: ledger, lockTimeout: lockTimeout, clock: clock.function)
    }

    func leases() throws -> [Lease] { try ledger.read().leases }

    func lease(_ manifest: Manifest, _ service: String, port: String = "default", instance: String = "default") throws -> Lease? {
        try ledger.read().lease(for: LeaseKey(root: manifest.root, service: service, portName: port, instance: instance))
    }

    func ledgerBytes() -> [UInt8]? { try? FileIO.read(home.ledgerPath) }

    func writeLedger(_ text: String) throws {
        let fd = open(home.ledgerPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        let bytes = Array(text.utf8)
        #expect(write(fd, bytes, bytes.count) == bytes.count)
        close(fd)
    }

    /// A user configuration file in the sandbox, loaded the way the CLI does with STYXY_CONFIG.
    func loadCatalog(config yaml: String) throws -> Catalog {
        let path = root + "/config.yaml"
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: path))
        return try Catalog.load(environment: ["STYXY_CONFIG": path, "HOME": root])
    }
}

extension ResolveReport {
    func port(_ service: String, _ portName: String = "default") -> Int? {
        assignments.first { $0.service == service && $0.portName == portName }?.port
    }

    func assignment(_ service: String, _ portName: String = "default") -> Assignment? {
        assignments.first { $0.service == service && $0.portName == portName }
    }
}

/// The file mode bits of a path (without the type), or nil when it cannot be read.
func mode(of path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o7777
}

/// A one-service manifest of the given type, with an optional preferred port.
func oneService(_ type: String = "dev", name: String = "web", port: Int? = nil) -> String {
    var text = "services:\n  \(name):\n    type: \(type)\n"
    if let port { text += "    port: \(port)\n" }
    return text
}
