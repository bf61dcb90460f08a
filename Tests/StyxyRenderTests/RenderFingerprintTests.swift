@_spi(Reflection) import Swift
import StyxyRender
import StyxyCore
import Testing

/// `RenderContext.fingerprint` must move with every stored field of the context, at every depth,
/// including fields added after this test was written. So the test does not list the fields: it
/// finds them by reflection (`_forEachFieldWithKeyPath`, the standard library's field walk),
/// changes each one in a copy, and expects a new fingerprint. A field of a type this test cannot
/// change yet is reported by name rather than skipped.
@Suite("Render fingerprint")
struct RenderFingerprintTests {
    /// Every optional set and every list with two entries, so each can be changed, emptied or shortened.
    static let base = RenderContext(
        project: "shop", root: "/p", instance: "default", manifest: "styxy.yaml",
        services: [
            ServiceContext(name: "db", type: "database", ports: [
                NamedPortContext(name: "admin", port: 5433, env: ["DB_ADMIN_PORT", "PGADMIN_PORT"],
                                 compose: ComposeContext(service: "pgadmin", target: 80, hostIP: "127.0.0.1", transport: .tcp)),
                NamedPortContext(name: "main", port: 5432, env: ["DB_PORT"],
                                 compose: ComposeContext(service: "postgres", target: 5432, hostIP: "::1", transport: .udp)),
            ], command: "pg --port 5432", shared: false, cwd: "db", after: ["cache", "web"], readyTimeout: 30),
            ServiceContext(name: "web", type: "dev", ports: [NamedPortContext(name: "default", port: 3000, env: ["WEB_PORT"])],
                           command: "vite", shared: true, cwd: "site", after: ["db", "cache"], readyTimeout: 2.5),
        ])

    @Test func everyFieldAtEveryDepthMovesTheFingerprint() throws {
        let changes = Self.base.changes().map { (path: String($0.path.dropFirst()), value: $0.value) }
        var seen: [String: (path: String, value: RenderContext)] = [:]
        for (path, changed) in changes {
            let fingerprint = changed.fingerprint
            #expect(fingerprint != Self.base.fingerprint, "changing \(path) must change the fingerprint")
            if let other = seen[fingerprint], other.value != changed {
                Issue.record("changing \(path) and changing \(other.path) give one fingerprint")
            }
            seen[fingerprint] = (path, changed)
        }
        #expect(changes.count > 40, "\(changes.count) changes")
        // The walk reached the leaves of every type the context nests.
        for path in ["project", "services[0].name", "services[1].shared", "services[0].ports[1].env[0]",
                     "services[0].ports[0].compose?.hostIP?", "services[0].command?"] {
            #expect(changes.contains { $0.path == path }, "the walk did not reach \(path)")
        }
    }

    /// The reflection and the `Encodable` conformance name the same fields: a field kept out of
    /// the encoding (a hand-written `encode(to:)` or `CodingKeys`) fails here.
    @Test func theWalkSeesWhatMirrorSees() {
        #expect(fieldNames(RenderContext.self) == Mirror(reflecting: Self.base).children.map(\.label))
        #expect(fieldNames(ServiceContext.self) == Mirror(reflecting: Self.base.services[0]).children.map(\.label))
    }

    @Test func equalContextsShareAFingerprintWhicheverOrderTheyWereBuiltIn() {
        let reordered = RenderContext(project: "shop", root: "/p", instance: "default", manifest: "styxy.yaml",
                                      services: Self.base.services.reversed())
        #expect(reordered.fingerprint == Self.base.fingerprint)
        #expect(Self.base.fingerprint.count == 32)
    }
}

private func fieldNames<T>(_ type: T.Type) -> [String?] {
    var names: [String?] = []
    _forEachFieldWithKeyPath(of: type) { name, _ in
        names.append(String(cString: name))
        return true
    }
    return names
}

/// A value that can list copies of itself, each differing from it in one place, with that place's
/// path (`.services[0].ports[1].compose?.hostIP?`; a path ending in `?` changes the wrapped value,
/// one ending before it sets nil).
protocol Changeable {
    func changes() -> [(path: String, value: Self)]
}

extension Changeable {
    /// One change per stored field, found by reflection and applied through the field's key path.
    func fieldChanges() -> [(path: String, value: Self)] {
        var result: [(path: String, value: Self)] = []
        _forEachFieldWithKeyPath(of: Self.self) { cName, keyPath in
            let name = String(cString: cName)
            func change<Field>(_ field: Field) {
                guard let writable = keyPath as? WritableKeyPath<Self, Field>, let changeable = field as? any Changeable else {
                    Issue.record("\(Self.self).\(name) is a \(Field.self), which this test cannot change yet: teach it")
                    return
                }
                for (path, value) in changeable.anyChanges() {
                    guard let value = value as? Field else { continue }
                    var copy = self
                    copy[keyPath: writable] = value
                    result.append(("." + name + path, copy))
                }
            }
            _openExistential(self[keyPath: keyPath], do: change)  // Field is then the stored type, not Any
            return true
        }
        return result
    }
}

extension Changeable {
    func anyChanges() -> [(path: String, value: Any)] { changes().map { ($0.path, $0.value as Any) } }
}

extension String: Changeable { func changes() -> [(path: String, value: String)] { [("", self + "x")] } }
extension Int: Changeable { func changes() -> [(path: String, value: Int)] { [("", self + 1)] } }
extension Bool: Changeable { func changes() -> [(path: String, value: Bool)] { [("", !self)] } }
extension Double: Changeable { func changes() -> [(path: String, value: Double)] { [("", self + 1)] } }
extension Transport: Changeable {
    func changes() -> [(path: String, value: Transport)] { Transport.allCases.filter { $0 != self }.map { ("", $0) } }
}

extension Optional: Changeable where Wrapped: Changeable {
    func changes() -> [(path: String, value: Wrapped?)] {
        guard let wrapped = self else { return [] }
        return [("", nil)] + wrapped.changes().map { ("?" + $0.path, $0.value) }
    }
}

extension Array: Changeable where Element: Changeable {
    /// Shorter, longer, and each element changed.
    func changes() -> [(path: String, value: [Element])] {
        var result: [(path: String, value: [Element])] = [("", Array(dropLast())), ("", self + prefix(1))]
        for (index, element) in enumerated() {
            for (path, value) in element.changes() {
                var copy = self
                copy[index] = value
                result.append(("[\(index)]" + path, copy))
            }
        }
        return result
    }
}

extension RenderContext: Changeable { func changes() -> [(path: String, value: RenderContext)] { fieldChanges() } }
extension ServiceContext: Changeable { func changes() -> [(path: String, value: ServiceContext)] { fieldChanges() } }
extension NamedPortContext: Changeable { func changes() -> [(path: String, value: NamedPortContext)] { fieldChanges() } }
extension ComposeContext: Changeable { func changes() -> [(path: String, value: ComposeContext)] { fieldChanges() } }
