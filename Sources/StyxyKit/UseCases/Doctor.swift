import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyProbe

/// `doctor`: the state folder, the ledger, the lock, the catalog and the leases against reality.
package struct DoctorReport: Sendable {
    package enum Verdict: Sendable, Equatable {
        case ok, problem, warning, note

        /// How `--json` spells it.
        package var word: String {
            switch self {
            case .ok: return "ok"
            case .problem: return "problem"
            case .warning: return "warning"
            case .note: return "note"
            }
        }
    }

    package struct Check: Sendable, Equatable {
        package var verdict: Verdict
        package var text: String
    }

    package var checks: [Check] = []

    /// A live lease whose port a process outside its project holds.
    package struct Conflict: Sendable {
        package var lease: Lease
        package var occupant: PortOccupant
    }

    package var conflicts: [Conflict] = []

    /// True when any check found a problem or a warning: `doctor` then exits 1. Notes only inform.
    package var hasProblems: Bool { checks.contains { $0.verdict == .problem || $0.verdict == .warning } }

    mutating func ok(_ text: String) { checks.append(Check(verdict: .ok, text: text)) }
    mutating func problem(_ text: String) { checks.append(Check(verdict: .problem, text: text)) }
    mutating func warning(_ text: String) { checks.append(Check(verdict: .warning, text: text)) }
    mutating func note(_ text: String) { checks.append(Check(verdict: .note, text: text)) }
}

extension StyxyApp {
    /// Runs every check it can; a state folder that cannot be used ends the report early. With
    /// `repair`, a damaged ledger is kept aside and replaced by its backup or an explicit empty one.
    /// The project's manifest (`manifest`, else the nearest `styxy.yaml`) is checked when there is one.
    package func doctor(repair: Bool, manifest: String? = nil) throws(StyxyError) -> DoctorReport {
        var report = DoctorReport()
        let catalog: Catalog
        do {
            catalog = try environment.catalog()
            report.ok("catalog: \(catalog.types.count) types\(catalog.configPath.map { " (with \($0))" } ?? " (built-in only)")")
        } catch {
            for line in error.diagnostics { report.problem("configuration: \(line.rendered)") }
            catalog = Catalog.builtin()
        }
        checkProject(manifest: manifest, catalog: catalog, into: &report)
        let home = try StateHome.locate(environment: environment.variables)
        do {
            try home.prepare(create: false)
            report.ok("state folder: \(home.path)")
        } catch {
            report.problem(error.description)
            return report
        }
        let ledger = Ledger(home: home)
        let timeout = try Workspace.lockTimeout(environment.variables, catalog: catalog)
        if repair { try Self.repair(ledger, home: home, timeout: timeout, now: environment.clock(), into: &report) }
        var state = LedgerState()
        do {
            state = try ledger.read()
            report.ok("ledger: \(state.leases.count) lease(s), generation \(state.generation)")
        } catch {
            report.problem(error.description)
        }
        do {
            if try ledger.readBackup() != nil { report.ok("backup: readable") }
        } catch {
            report.problem("backup: \(error.description)")
        }
        Self.checkLock(home, into: &report)
        checkLeases(state.leases, catalog: catalog, into: &report)
        return report
    }

    private static func repair(_ ledger: Ledger, home: StateHome, timeout: Double, now: Int64,
                               into report: inout DoctorReport) throws(StyxyError) {
        switch try ledger.repair(timeout: timeout, now: now) {
        case .healthy: report.ok("ledger: readable; nothing to repair")
        case .restoredBackup(let aside):
            report.note("ledger: restored the backup" + (aside.map { "; the damaged file is kept at \($0)" } ?? " in place of the missing ledger"))
        case .startedEmpty(let aside, let backupProblem, let backupAside):
            if let backupProblem { report.problem("backup: unusable, kept at \(backupAside ?? home.backupPath): \(backupProblem)") }
            report.note("ledger: no usable backup; wrote an empty ledger" + (aside.map { "; the damaged file is kept at \($0)" } ?? ""))
        }
    }

    private static func checkLock(_ home: StateHome, into report: inout DoctorReport) {
        if !FileIO.isDirectory(home.path) {
            report.note("state folder: not created yet; the first resolve creates it")
        } else if !FileIO.exists(home.lockPath) {
            report.ok("lock: free (no lock file yet)")
        } else {
            do {
                let lock = try LedgerLock.acquire(path: home.lockPath, timeout: 0.2)
                lock.release()
                report.ok("lock: free")
            } catch {
                report.note("lock: busy: \(error.description)")
            }
        }
    }

    private func checkLeases(_ leases: [Lease], catalog: Catalog, into report: inout DoctorReport) {
        let now = environment.clock()
        var ports: [Int: [Lease]] = [:]
        for lease in leases { ports[lease.port, default: []].append(lease) }
        for (port, holders) in ports.sorted(by: { $0.key < $1.key }) where holders.count > 1 {
            report.problem("port \(port) is leased \(holders.count) times: " + holders.map { "\($0.project)/\($0.key.label)" }.joined(separator: ", "))
        }
        for lease in leases {
            if let reason = LeaseMaintenance.pruneReason(lease, now: now) {
                report.note("\(lease.project)/\(lease.key.label) port \(lease.port): \(reason.rawValue) (`styxy lease prune` removes it)")
            }
            if catalog.isReserved(lease.port) { report.problem("\(lease.project)/\(lease.key.label) holds reserved port \(lease.port)") }
        }
        guard let snapshot = try? environment.probe.snapshot(protocols: [.tcp, .udp]) else {
            report.problem("cannot read the kernel's socket tables (/proc/net/tcp)")
            return
        }
        let live = leases.filter { !$0.isExpired(at: now) }
        let listening = live.filter { snapshot.isListening(UInt16($0.port), proto: $0.transport) }
        report.ok("socket tables: readable; \(listening.count) leased port(s) in use now")
        report.conflicts = Self.conflicts(among: listening, snapshot: snapshot, probe: environment.probe, everyone: leases)
        for conflict in report.conflicts {
            report.problem("port \(conflict.lease.port) of \(conflict.lease.project)/\(conflict.lease.key.label) [\(conflict.lease.key.instance)] "
                + "is held by \(conflict.occupant.description) (\(conflict.occupant.holderClass.label)); "
                + "stop it, or run `styxy resolve --reassign` in \(conflict.lease.key.root ?? "the project")")
        }
    }

    /// Leased ports that a process other than the lease's own project holds. A shared service's
    /// port held by anyone is that service running, not a conflict.
    static func conflicts(among leases: [Lease], snapshot: PortSnapshot, probe: any PortProbe,
                          everyone: [Lease]) -> [DoctorReport.Conflict] {
        let known = Dictionary(everyone.compactMap { lease in lease.key.root.map { ($0, lease.project) } }, uniquingKeysWith: { a, _ in a })
            .map { (root: $0.key, name: $0.value) }
        let inspector = PortInspector(probe: probe, snapshot: snapshot)
        var found: [DoctorReport.Conflict] = []
        for (root, group) in Dictionary(grouping: leases.filter { !$0.isShared }, by: { $0.key.root ?? "" }).sorted(by: { $0.key < $1.key }) {
            let occupants = inspector.occupants(of: group.map { ($0.port, $0.transport) }, root: root, knownProjects: { known })
            for lease in group.sorted(by: { $0.port < $1.port }) {
                guard let occupant = occupants[lease.port], occupant.holderClass != .thisProject else { continue }
                found.append(DoctorReport.Conflict(lease: lease, occupant: occupant))
            }
        }
        return found
    }
}
