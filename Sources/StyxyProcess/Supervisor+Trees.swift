#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Supervisor {
    /// The processes that belong to a service in `tree`: its main process and everything below
    /// it, and also the processes that left that tree when their parent ended (a daemon's double
    /// fork, a server that outlives the script that started it) and were re-parented to the
    /// supervisor, with everything below them. Such a process is the service's when it was seen
    /// in the service's tree by an earlier call, or when it is still in the service's process
    /// group. For readiness: "a process of the service's own tree listens on its port".
    ///
    /// What this cannot tell: a process that called `setsid` and lost its parent between two
    /// calls, never seen under its service. Call it every tick to keep that window short.
    /// `stop` finds such processes all the same.
    public func processes(of service: String, in tree: ProcessTree) -> Set<pid_t> {
        guard let main = services[service]?.pid else { return [] }
        owners = owners.filter { tree.entries[$0.key] != nil }  // a number seen again is someone new
        let me = getpid()
        // Once reaped, the main process's number may be anyone's; until then it is our child.
        var roots = tree.parent(of: main) == me ? [main] : []
        for orphan in tree.children(of: me) where serviceByPID[orphan] == nil {
            let group = tree.entries[orphan]?.group
            if (owners[orphan] ?? group.flatMap { serviceByPID[$0] }) == service { roots.append(orphan) }
        }
        var found = Set<pid_t>()
        for root in roots { found.formUnion(tree.descendants(of: root)) }
        for pid in found { owners[pid] = service }
        return found
    }
}
