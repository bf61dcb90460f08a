import ArgumentParser
import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyProbe

extension Styxy {
    struct Doctor: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the state folder, ledger, lock, catalog and leases against reality.",
            discussion: """
                Exit 0 when all is well, 1 when something needs attention. --repair is the one way to mend \
                a damaged ledger: it keeps the bad file aside as ledger.json.damaged-<time> (never deletes it) \
                and restores the last good generation from ledger.json.bak, or writes an empty ledger when \
                there is no usable backup (a damaged backup is kept aside too, and reported).
                """
        )

        @Flag(help: "Keep a damaged ledger aside and restore the backup, or write an empty ledger when there is no usable one.") var repair = false

        func run() throws {
            let out = Terminal.standardOutput
            var problems = 0
            func ok(_ text: String) { out.line("\(out.styled("ok", .green))      \(text)") }
            func bad(_ text: String) { problems += 1; out.line("\(out.styled("problem", .bold, .red)) \(text)") }
            func info(_ text: String) { out.line("\(out.styled("note", .cyan))    \(text)") }

            let environment = CommandEnvironment()
            let catalog: Catalog
            do {
                catalog = try environment.catalog()
                ok("catalog: \(catalog.types.count) types\(catalog.configPath.map { " (with \($0))" } ?? " (built-in only)")")
            } catch {
                for line in error.diagnostics { bad("configuration: \(line.rendered)") }
                catalog = Catalog.builtin()
            }
            let home = try StateHome.locate(environment: environment.variables)
            do {
                try home.prepare(create: false)
                ok("state folder: \(home.path)")
            } catch {
                bad(error.description)
                throw ExitCode(ExitStatus.conflict.rawValue)
            }
            let ledger = Ledger(home: home)
            let timeout = try EngineContext.resolvedLockTimeout(environment.variables, catalog: catalog)
            if repair {
                switch try ledger.repair(timeout: timeout, now: Timestamp.now()) {
                case .healthy: ok("ledger: readable; nothing to repair")
                case .restoredBackup(let aside):
                    info("ledger: restored the backup" + (aside.map { "; the damaged file is kept at \($0)" } ?? " in place of the missing ledger"))
                case .startedEmpty(let aside, let backupProblem, let backupAside):
                    if let backupProblem { bad("backup: unusable, kept at \(backupAside ?? home.backupPath): \(backupProblem)") }
                    info("ledger: no usable backup; wrote an empty ledger" + (aside.map { "; the damaged file is kept at \($0)" } ?? ""))
                }
            }
            var state = LedgerState()
            do {
                state = try ledger.read()
                ok("ledger: \(state.leases.count) lease(s), generation \(state.generation)")
            } catch {
                bad(error.description)
            }
            do {
                if try ledger.readBackup() != nil { ok("backup: readable") }
            } catch {
                bad("backup: \(error.description)")
            }
            if !FileIO.isDirectory(home.path) {
                info("state folder: not created yet; the first resolve creates it")
            } else if !FileIO.exists(home.lockPath) {
                ok("lock: free (no lock file yet)")
            } else {
                do {
                    let lock = try LedgerLock.acquire(path: home.lockPath, timeout: 0.2)
                    lock.release()
                    ok("lock: free")
                } catch {
                    info("lock: busy: \(error.description)")
                }
            }
            // Leases against reality.
            let now = Timestamp.now()
            var ports: [Int: [StyxyEngine.Lease]] = [:]
            for lease in state.leases { ports[lease.port, default: []].append(lease) }
            for (port, holders) in ports where holders.count > 1 {
                bad("port \(port) is leased \(holders.count) times: " + holders.map { "\($0.project)/\(Styxy.Lease.label($0))" }.joined(separator: ", "))
            }
            for lease in state.leases {
                if let reason = LeaseMaintenance.pruneReason(lease, now: now) {
                    info("\(lease.project)/\(Styxy.Lease.label(lease)) port \(lease.port): \(reason.rawValue) (`styxy lease prune` removes it)")
                }
                if catalog.isReserved(lease.port) { bad("\(lease.project)/\(Styxy.Lease.label(lease)) holds reserved port \(lease.port)") }
            }
            if let snapshot = try? LinuxPortProbe().snapshot(protocols: [.tcp]) {
                let listening = state.leases.filter { snapshot.isListening(UInt16($0.port)) }
                ok("socket tables: readable; \(listening.count) leased port(s) in use now")
            } else {
                bad("cannot read the kernel's socket tables (/proc/net/tcp)")
            }
            if problems > 0 { throw ExitCode(ExitStatus.conflict.rawValue) }
        }
    }
}
