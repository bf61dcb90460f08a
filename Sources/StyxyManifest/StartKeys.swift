#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StyxyCore

/// How a service starts (`cwd:`, `after:`, `ready:`), read beside its ports. Only the `up`, `run
/// SERVICE` and `wait` commands act on these keys, but a manifest that names a missing folder or
/// orders services in a circle is wrong whichever command reads it, so `validate` says so.
struct StartKeys {
    var cwd: String?
    var after: [ServiceReference] = []
    var readyTimeout: Double?
}

/// One service's `after:` list as written, kept for the checks that need every service.
struct AfterList {
    var service: String
    var entries: [(reference: ServiceReference, path: String)]
}

extension ManifestBuilder {
    mutating func readStartKeys(_ fields: [String: YAMLNode], service: String, path: String) -> StartKeys {
        var keys = StartKeys()
        if let node = fields["cwd"] {
            if fields["command"] == nil {
                reader.bag.error("cwd: is where command: runs, and this service has no command:", at: node, path: "\(path).cwd",
                                 hint: "add command:, or remove cwd:")
            } else {
                keys.cwd = readWorkingFolder(node, path: "\(path).cwd")
            }
        }
        if let node = fields["after"], let names = reader.strings(node, path: "\(path).after", what: "a service name") {
            var list = AfterList(service: service, entries: [])
            for (index, (name, item)) in names.enumerated() {
                let reference = ServiceReference(name: name, location: item.location)
                list.entries.append((reference, SchemaReader.itemPath("\(path).after", index, of: node)))
                keys.after.append(reference)
            }
            afterLists.append(list)
        }
        if let node = fields["ready"], let ready = reader.mapping(node, path: "\(path).ready", allowed: ManifestKeys.readyNames) {
            if let timeout = ready["timeout"] {
                keys.readyTimeout = reader.duration(timeout, path: "\(path).ready.timeout", maximum: Service.longestReadyTimeout,
                                                    what: "a ready timeout")
            } else if case .mapping(let pairs) = node.kind, pairs.isEmpty {
                // Beside a misspelt key, its "did you mean" says it all.
                reader.bag.error("missing 'timeout'", at: node, path: "\(path).ready", hint: "for example ready: { timeout: 30s }")
            }
        }
        return keys
    }

    /// `cwd:` as the canonical folder it names below the root: its text is checked first, for
    /// messages without machine paths, then it is walked by the project's confinement rules, so a
    /// link that leads out of the project is refused as an output path would be.
    mutating func readWorkingFolder(_ node: YAMLNode, path: String) -> String? {
        guard let written = reader.string(node, path: path, what: "a folder path"),
              let parts = relativeParts(written, at: node, path: path, as: .workingFolder)
        else { return nil }
        if parts.contains(where: { $0.lowercased() == ".git" }) {
            reader.bag.error("cwd '\(written)' is inside .git", at: node, path: path)
            return nil
        }
        do {
            return try ConfinedFolder(path: root).locateFolder(written)
        } catch {
            switch error.code {
            case ENOENT:
                reader.bag.error("folder '\(written)' does not exist", at: node, path: path,
                                 hint: "create it, or correct the path: it is relative to the manifest's folder")
            case ENOTDIR:
                reader.bag.error("cwd '\(written)' is not a folder", at: node, path: path, hint: "name the folder the command runs in")
            case _ where error.refusal != nil:
                reader.bag.error("cwd '\(written)' is \(error.reason)", at: node, path: path,
                                 hint: "a service's folder is inside the project, reached without leaving it")
            default:
                reader.bag.error("cannot open the folder '\(written)': \(error.reason)", at: node, path: path)
            }
            return nil
        }
    }

    // MARK: Across services

    /// Every name in `after:` is a declared service other than the one it stands in, listed once,
    /// and no chain of them comes back to where it started.
    mutating func checkStartOrder() {
        let declared = Dictionary(declaredNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var edges = Array(repeating: [(target: Int, reference: ServiceReference, path: String)](), count: declaredNames.count)
        for list in afterLists {
            var listed = Set<String>()
            for (reference, path) in list.entries {
                let name = reference.name
                if name == list.service {
                    reader.bag.error("service '\(name)' is after itself", at: reference.location, path: path,
                                     hint: "remove it from after:")
                } else if let target = declared[name] {
                    if !listed.insert(name).inserted {
                        reader.bag.error("service '\(name)' is listed twice", at: reference.location, path: path)
                    } else if let source = declared[list.service] {
                        edges[source].append((target, reference, path))
                    }
                } else {
                    reader.bag.error("unknown service '\(YAMLNode.printable(name))'", at: reference.location, path: path,
                                     hint: suggestion(for: name, among: declaredNames)
                                        ?? "the services are \(ScaffoldText.list(declaredNames.sorted()))")
                }
            }
        }
        for cycle in StartCycles.find(edges: edges.map { $0.map(\.target) }) {
            // Said from the service written first, at its `after:` entry that starts the circle.
            let first = cycle.min()!
            let start = cycle.firstIndex(of: first)!
            let loop = Array(cycle[start...] + cycle[..<start])
            let closing = edges[first].first { $0.target == loop[1] }!
            reader.bag.error("services wait for each other in a circle: \(StartCycles.describe(loop.map { declaredNames[$0] }))",
                             at: closing.reference.location, path: closing.path,
                             hint: "remove one of these after: entries; `up` could start none of them")
        }
    }
}

/// Cycles in the `after:` graph, found without recursion (a hostile manifest may chain thousands
/// of services), at most `limit` of them. Self-references are not edges: they are reported apart.
enum StartCycles {
    static let limit = 16

    /// Each cycle as the nodes along it (the edge from the last back to the first closes it).
    static func find(edges: [[Int]]) -> [[Int]] {
        var state = Array(repeating: 0, count: edges.count)  // 0 unseen, 1 on the path, 2 done
        var cycles: [[Int]] = []
        for root in edges.indices where state[root] == 0 {
            var path: [(node: Int, next: Int)] = [(root, 0)]
            var position = [root: 0]
            state[root] = 1
            while let (node, next) = path.last {
                guard next < edges[node].count else {
                    state[node] = 2
                    position[node] = nil
                    path.removeLast()
                    continue
                }
                path[path.count - 1].next += 1
                let target = edges[node][next]
                if state[target] == 0 {
                    state[target] = 1
                    position[target] = path.count
                    path.append((target, 0))
                } else if state[target] == 1, cycles.count < limit {
                    // All but this edge of the circle are on the path, so each circle is met once.
                    cycles.append(path[position[target]!...].map(\.node))
                }
            }
        }
        return cycles
    }

    /// `web -> api -> web`, shortened in the middle past ten services.
    static func describe(_ names: [String]) -> String {
        let shown = names.count <= 10 ? names : Array(names.prefix(9)) + ["... (\(names.count - 10) more)", names[names.count - 1]]
        return (shown + [names[0]]).joined(separator: " -> ")
    }
}
