import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyProbe

/// The engine's parts, built one way for every use case from one environment: the catalog in
/// force, the state home, its ledger, the probe, the clock and the lock timeout.
package struct Workspace: Sendable {
    package let environment: StyxyEnvironment
    package let catalog: Catalog
    package let home: StateHome
    package let ledger: Ledger
    package let lockTimeout: Double

    package var probe: any PortProbe { environment.probe }
    package var now: Int64 { environment.clock() }

    package init(_ environment: StyxyEnvironment) throws(StyxyError) {
        self.environment = environment
        catalog = try environment.catalog()
        home = try StateHome.locate(environment: environment.variables)
        ledger = Ledger(home: home)
        lockTimeout = try Self.lockTimeout(environment.variables, catalog: catalog)
    }

    /// `STYXY_LOCK_TIMEOUT` over the configuration's `lock_timeout` over the default.
    package static func lockTimeout(_ variables: [String: String], catalog: Catalog) throws(StyxyError) -> Double {
        if let text = variables["STYXY_LOCK_TIMEOUT"], !text.isEmpty {
            let longest = DurationText.longestLockWait
            // A bare number is seconds; it goes through the same reader as "10s", so "inf", "nan"
            // and "1e400" are refused like any other text.
            switch DurationText.read(text.utf8.allSatisfy({ ASCII.isDigit($0) || $0 == 0x2e }) ? text + "s" : text, maximum: longest) {
            case .seconds(let seconds): return seconds
            case .tooLong:
                throw StyxyError(.usage, "STYXY_LOCK_TIMEOUT is at most \(DurationText.describe(longest)), found '\(text)'",
                                 hint: "a lock held longer than that is stuck: stop its holder instead of waiting")
            case .invalid:
                throw StyxyError(.usage, "STYXY_LOCK_TIMEOUT must be a duration like 10s, found '\(text)'")
            }
        }
        return catalog.lockTimeoutSeconds ?? LedgerLock.defaultTimeout
    }

    package func loadManifest(_ path: String) throws(StyxyError) -> Manifest {
        try StyxyEnvironment.manifestLoader(catalog: catalog)
            .load(path: path, relativeTo: environment.workingDirectory)
    }

    package func resolver() -> Resolver {
        Resolver(ledger: ledger, probe: probe, catalog: catalog, lockTimeout: lockTimeout, clock: environment.clock)
    }

    package func maintenance() -> LeaseMaintenance {
        LeaseMaintenance(ledger: ledger, lockTimeout: lockTimeout, clock: environment.clock)
    }

    /// Every lease the ledger holds now, after checking the state home without creating it.
    package func leases() throws(StyxyError) -> [Lease] {
        try home.prepare(create: false)
        return try ledger.read().leases
    }
}
