import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyProbe

/// The engine's parts, built one way for every command: state home, ledger, probe, catalog and
/// lock timeout, each from the environment with CLI flags winning.
struct EngineContext {
    let environment: CommandEnvironment
    let catalog: Catalog
    let home: StateHome
    let ledger: Ledger
    let probe: any PortProbe
    let lockTimeout: Double

    init(environment: CommandEnvironment = CommandEnvironment()) throws(StyxyError) {
        self.environment = environment
        catalog = try environment.catalog()
        home = try StateHome.locate(environment: environment.variables)
        ledger = Ledger(home: home)
        probe = LinuxPortProbe()
        lockTimeout = try Self.resolvedLockTimeout(environment.variables, catalog: catalog)
    }

    /// `STYXY_LOCK_TIMEOUT` over the configuration's `lock_timeout` over the default.
    static func resolvedLockTimeout(_ variables: [String: String], catalog: Catalog) throws(StyxyError) -> Double {
        if let text = variables["STYXY_LOCK_TIMEOUT"], !text.isEmpty {
            let longest = DurationText.longestLockWait
            // A bare number is seconds; it goes through the same reader as "10s", so "inf", "nan"
            // and "1e400" are refused like any other text.
            switch DurationText.read(text.utf8.allSatisfy({ (0x30...0x39).contains($0) || $0 == 0x2e }) ? text + "s" : text, maximum: longest) {
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

    func loadManifest(_ path: String) throws(StyxyError) -> Manifest {
        try ManifestLoader(catalog: catalog, builtinTemplates: CommandEnvironment.builtinTemplateNames).load(path: path)
    }

    func resolver() -> Resolver {
        Resolver(ledger: ledger, probe: probe, catalog: catalog, lockTimeout: lockTimeout)
    }

    func maintenance() -> LeaseMaintenance {
        LeaseMaintenance(ledger: ledger, lockTimeout: lockTimeout)
    }
}
