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
        // Sorting positions rather than leases spares moving every lease's strings around.
        return all.indices.sorted { (all[$0].project, all[$0].key) < (all[$1].project, all[$1].key) }.map { all[$0] }
    }

    package struct ReleaseRequest: Sendable {
        /// The manifest whose project's leases go, when `project` is nil.
        package var manifest: String?
        /// A project's name or root folder.
        package var project: String?
        /// nil releases every instance.
        package var instance: String?
        /// The shared services named in `services`, instead of a project's leases.
        package var shared: Bool
        /// Empty releases every service.
        package var services: [String]

        package init(manifest: String? = nil, project: String? = nil, instance: String? = nil, shared: Bool = false,
                     services: [String] = []) {
            (self.manifest, self.project, self.instance, self.shared, self.services) = (manifest, project, instance, shared, services)
        }
    }

    package func release(_ request: ReleaseRequest) throws(StyxyError) -> [Lease] {
        let workspace = try workspace()
        let wanted = Set(request.services)
        let matches: (Lease) -> Bool
        if request.shared {
            matches = { $0.isShared && wanted.contains($0.key.service) }
        } else {
            let root: String
            if let project = request.project {
                let known = try workspace.ledger.read().leases.first { lease($0, belongsTo: project) && !$0.isShared }
                root = known?.key.root ?? (FileIO.realPath(environment.absolute(project)) ?? project)
            } else {
                root = try workspace.loadManifest(locateManifest(request.manifest)).root
            }
            let instance = request.instance
            matches = { lease in
                lease.key.root == root && (instance == nil || lease.key.instance == instance)
                    && (wanted.isEmpty || wanted.contains(lease.key.service))
            }
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
