import Foundation
import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyProbe
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A settable clock for the engine: seconds since the epoch, starting at a fixed instant.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64

    init(_ start: Int64 = 1_800_000_000) { value = start }

    var now: Int64 {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }

    func advance(_ seconds: Int64) { lock.withLock { value += seconds } }

    var function: @Sendable () -> Int64 { { [self] in self.now } }
}

/// Creates a fresh folder (mode 0700) under the temporary folder and returns its canonical path.
func makeTemporaryFolder(_ prefix: String = "styxy-engine") throws -> String {
    var template = Array((NSTemporaryDirectory() + "/\(prefix)-XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "mkdtemp failed: \(String(cString: strerror(errno)))"])
    }
    let path = String(cString: made)
    chmod(path, 0o700)
    return FileIO.realPath(path) ?? path
}

/// Removes a tree even when a test made parts of it unreadable or foreign-owned.
func removeTree(_ path: String) {
    if let items = FileManager.default.enumerator(atPath: path) {
        for case let item as String in items { chmod(path + "/" + item, 0o700) }
    }
    chmod(path, 0o700)
    try? FileManager.default.removeItem(atPath: path)
}

/// One test's world: a private state home, a fake probe, a clock and a folder for projects.
/// Everything lives under one temporary folder that goes away with the value.
final class EngineSandbox {
    let root: String
    let home: StateHome
    let ledger: Ledger
    let probe: FakePortProbe
    let clock: TestClock
    var catalog: Catalog

    init(probe: FakePortProbe = FakePortProbe(), catalog: Catalog = Catalog.builtin()) throws {
        root = try makeTemporaryFolder()
        let homePath = root + "/state"
        #expect(mkdir(homePath, 0o700) == 0)
        home = StateHome(path: homePath)
        ledger = Ledger(home: home)
        self.probe = probe
        self.clock = TestClock()
        self.catalog = catalog
    }

    deinit { removeTree(root) }

    /// The canonical root of a project folder under the sandbox, created when missing.
    func projectRoot(_ name: String) -> String {
        let path = root + "/projects/" + name
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Parses `yaml` as the manifest of project `name` (writing it to disk too, so prune sees it).
    func manifest(_ name: String, _ yaml: String) throws -> Manifest {
        let folder = projectRoot(name)
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: folder + "/styxy.yaml"))
        let loader = ManifestLoader(catalog: catalog, builtinTemplates: ["dotenv", "compose-override", "npm-scripts", "json", "shell"])
        return try loader.parse(Array(yaml.utf8), path: "styxy.yaml", root: folder)
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
