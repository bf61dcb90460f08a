import StyxyCore
import StyxyEngine
import StyxyManifest

/// `lease ls`, `lease release` and `lease prune`.
extension StyxyApp {
    /// Every lease, or those of one project (its name or root) and of one root folder (a
    /// worktree, say), by project then key.
    package func leases(project: String? = nil, root: String? = nil) throws(StyxyError) -> [Lease] {
        var all = try workspace().leases()
        if let project { all = all.filter { lease($0, belongsTo: project) } }
        if let root {
            let canonical = canonicalRoot(root)
            all = all.filter { $0.key.root == canonical }
        }
        // By project (as Swift strings), then key (as bytes). A ledger names far fewer projects than
        // it holds leases, so the names are ranked once and leases compare integers; and the
        // ledger keeps its leases in key order, so within a project the file's order is the key's
        // whenever one pass finds it so. Sorting positions spares moving every lease's strings.
        // Neighbours mostly share their project's string, which compares equal at once; hashing
        // a `String` is not cheap, so each run of one name is hashed once.
        var seen = Set<String>()
        for (index, lease) in all.enumerated() where index == 0 || lease.project != all[index - 1].project {
            seen.insert(lease.project)
        }
        let names = seen.sorted()
        let rank = Dictionary(uniqueKeysWithValues: zip(names, names.indices))
        var ranks: [Int] = []
        ranks.reserveCapacity(all.count)
        for (index, lease) in all.enumerated() {
            // Every name is in `rank`: they all came from `all`.
            ranks.append(index > 0 && lease.project == all[index - 1].project ? ranks[index - 1] : rank[lease.project]!)
        }
        let inKeyOrder = zip(all, all.dropFirst()).allSatisfy { !($1.key < $0.key) }
        return all.indices.sorted { a, b in
            if ranks[a] != ranks[b] { return ranks[a] < ranks[b] }
            return inKeyOrder ? a < b : all[a].key < all[b].key
        }.map { all[$0] }
    }

    package struct ReleaseRequest: Sendable {
        /// The manifest whose project's leases go, when neither `project` nor `root` is given.
        package var manifest: String?
        /// A project's name or root folder; a name several roots share is refused, listing them.
        package var project: String?
        /// A project's root folder, exactly (a worktree whose folder is gone, too).
        package var root: String?
        /// Empty releases every instance.
        package var instances: [String]
        /// The shared services named in `services`, instead of a project's leases.
        package var shared: Bool
        /// Empty releases every service.
        package var services: [String]

        package init(manifest: String? = nil, project: String? = nil, root: String? = nil, instances: [String] = [],
                     shared: Bool = false, services: [String] = []) {
            (self.manifest, self.project, self.root, self.instances) = (manifest, project, root, instances)
            (self.shared, self.services) = (shared, services)
        }
    }

    /// Releases the matching leases. A service name that matches nothing the project has (in its
    /// manifest or its leases) is a mistake, not "nothing to release": exit 1 with "did you mean".
    package func release(_ request: ReleaseRequest) throws(StyxyError) -> [Lease] {
        let workspace = try workspace()
        let all = try workspace.ledger.read().leases
        let wanted = Set(request.services)
        let matches: (Lease) -> Bool
        var known: [String]
        if request.shared {
            matches = { $0.isShared && wanted.contains($0.key.service) }
            known = all.filter(\.isShared).map(\.key.service)
        } else {
            var root: String
            known = []
            if let given = request.root {
                root = canonicalRoot(given)
            } else if let project = request.project {
                let roots = Set(all.filter { !$0.isShared && lease($0, belongsTo: project) }.compactMap(\.key.root)).sorted()
                if roots.count > 1 {
                    throw StyxyError(.conflict, "--project \(project) matches \(roots.count) projects: \(roots.joined(separator: ", "))",
                                     hint: "name one with --root PATH")
                }
                root = roots.first ?? canonicalRoot(project)
            } else {
                let manifest = try workspace.loadManifest(locateManifest(request.manifest))
                root = manifest.root
                known = manifest.services.map(\.name)
            }
            let instances = Set(request.instances)
            known += all.filter { $0.key.root == root }.map(\.key.service)
            let chosen = root
            matches = { lease in
                lease.key.root == chosen && (instances.isEmpty || instances.contains(lease.key.instance))
                    && (wanted.isEmpty || wanted.contains(lease.key.service))
            }
        }
        let names = Set(known).sorted()
        let unknown = request.services.filter { !names.contains($0) }
        if !unknown.isEmpty {
            throw StyxyError(.conflict, unknown.map { name in
                Diagnostic(.error, "no \(request.shared ? "shared service" : "service") named '\(name)' to release",
                           hint: Suggestion.didYouMean(name, among: names) ?? (names.isEmpty ? "there are no leases to release" : "known: \(names.joined(separator: ", "))"))
            })
        }
        let released = try workspace.maintenance().release(where: matches)
        if !released.isEmpty { RenderCache.sweep(home: workspace.home, keeping: try workspace.ledger.read().leases) }
        return released
    }

    package func prune(dryRun: Bool) throws(StyxyError) -> [(lease: Lease, reason: LeaseMaintenance.PruneReason)] {
        let workspace = try workspace()
        let pruned = try workspace.maintenance().prune(dryRun: dryRun)
        if !dryRun { RenderCache.sweep(home: workspace.home, keeping: try workspace.ledger.read().leases) }
        return pruned
    }

    /// `--project P` matches a project's name or its root (a path, resolved like the shell would).
    func lease(_ lease: Lease, belongsTo project: String) -> Bool {
        if lease.project == project || lease.key.root == project { return true }
        if let resolved = FileIO.realPath(environment.absolute(project)) { return lease.key.root == resolved }
        return false
    }

    /// A root folder as the ledger spells it: canonical when it exists; otherwise (a removed
    /// worktree) absolute with `.`, `..` and repeated slashes taken out, as it was when leased.
    func canonicalRoot(_ path: String) -> String {
        let absolute = environment.absolute(path)
        if let resolved = FileIO.realPath(absolute) { return resolved }
        var parts: [Substring] = []
        for part in absolute.split(separator: "/") where part != "." {
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        return "/" + parts.joined(separator: "/")
    }
}
