import ArgumentParser
import StyxyCore
import StyxyEngine
import StyxyManifest

extension Styxy {
    struct Lease: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inspect and manage the ledger of leases.",
            subcommands: [List.self, Release.self, Prune.self]
        )
    }
}

extension Styxy.Lease {
    /// `--project P` matches a project's name or its root (a path, resolved like the shell would).
    static func matches(_ lease: StyxyEngine.Lease, project: String) -> Bool {
        if lease.project == project || lease.key.root == project { return true }
        if let resolved = FileIO.realPath(project) { return lease.key.root == resolved }
        return false
    }

    static func label(_ lease: StyxyEngine.Lease) -> String {
        lease.key.portName == NamedPort.defaultName ? lease.key.service : "\(lease.key.service).\(lease.key.portName)"
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List every lease in the ledger.")

        @Option(help: "Only leases of this project (its name or root folder).") var project: String?
        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try EngineContext()
            try context.home.prepare(create: false)
            var all = try context.ledger.read().leases
            if let project { all = all.filter { Styxy.Lease.matches($0, project: project) } }
            // Sorting positions rather than leases spares moving every lease's strings around.
            let leases = all.indices.sorted { (all[$0].project, all[$0].key) < (all[$1].project, all[$1].key) }.map { all[$0] }
            let out = Terminal.standardOutput
            if output.json {
                out.write(JSONValue.object([("format_version", .int(1)), ("leases", .array(leases.map(\.json)))]).serialized())
                return
            }
            if leases.isEmpty {
                out.line(project == nil ? "no leases" : "no leases for \(project!)")
                return
            }
            let now = Timestamp.now()
            var table = Table("PROJECT", "SERVICE", "INSTANCE", "PORT", "EXPIRES", "ROOT")
            for lease in leases {
                let expiry = lease.expiresAt.map { $0 <= now ? "expired" : Timestamp.format($0) } ?? "-"
                table.add(lease.isShared ? "(shared)" : lease.project, Styxy.Lease.label(lease), lease.key.instance,
                          String(lease.port), expiry, lease.key.root ?? "-")
            }
            out.write(table.rendered(on: out))
        }
    }

    struct Release: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Release leases: of the manifest's project by default, or of --project.",
            discussion: "With no SERVICE, every lease of the project and instance goes. Shared leases go only with --shared."
        )

        @OptionGroup var manifestOptions: ManifestOptions
        @Option(help: "The project (name or root folder) whose leases to release, instead of the manifest's.") var project: String?
        @Option(help: "Only this instance (default: every instance of the project).", completion: Completions.instanceNames)
        var instance: String?
        @Flag(help: "Release the named shared services' machine-wide leases.") var shared = false
        @Argument(help: "Services to release (default: all).", completion: Completions.serviceNames) var services: [String] = []
        @OptionGroup var output: OutputOptions

        func validate() throws {
            // Here rather than in run(), so the usage printed with the error is this command's.
            if shared && services.isEmpty { throw ValidationError("--shared needs the names of the shared services to release") }
        }

        func run() throws {
            let context = try EngineContext()
            let wanted = Set(services)
            let matches: (StyxyEngine.Lease) -> Bool
            if shared {
                matches = { $0.isShared && wanted.contains($0.key.service) }
            } else {
                let root: String
                if let project {
                    let known = try context.ledger.read().leases.first { Styxy.Lease.matches($0, project: project) && !$0.isShared }
                    root = known?.key.root ?? (FileIO.realPath(project) ?? project)
                } else {
                    root = try context.loadManifest(manifestOptions.manifest).root
                }
                let instance = self.instance
                matches = { lease in
                    lease.key.root == root && (instance == nil || lease.key.instance == instance)
                        && (wanted.isEmpty || wanted.contains(lease.key.service))
                }
            }
            let released = try context.maintenance().release(where: matches)
            if !released.isEmpty { RenderCache.sweep(home: context.home, keeping: try context.ledger.read().leases) }
            let out = Terminal.standardOutput
            if output.json {
                out.write(JSONValue.object([("format_version", .int(1)), ("released", .array(released.map(\.json)))]).serialized())
                return
            }
            if released.isEmpty { out.line("nothing to release") }
            for lease in released {
                out.line("released \(Styxy.Lease.label(lease)) [\(lease.key.instance)] port \(lease.port)")
            }
        }
    }

    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove expired leases and leases whose project folder or manifest is gone."
        )

        @Flag(help: "List what would be removed; remove nothing.") var dryRun = false
        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try EngineContext()
            let pruned = try context.maintenance().prune(dryRun: dryRun)
            if !dryRun { RenderCache.sweep(home: context.home, keeping: try context.ledger.read().leases) }
            let out = Terminal.standardOutput
            if output.json {
                out.write(JSONValue.object([
                    ("format_version", .int(1)),
                    ("dry_run", .bool(dryRun)),
                    ("pruned", .array(pruned.map { item in
                        var json = item.lease.json
                        if case .object(var pairs) = json {
                            pairs.append(("reason", .string(item.reason.rawValue)))
                            json = .object(pairs)
                        }
                        return json
                    })),
                ]).serialized())
                return
            }
            if pruned.isEmpty { out.line("nothing to prune") }
            for (lease, reason) in pruned {
                out.line("\(dryRun ? "would prune" : "pruned") \(lease.project)/\(Styxy.Lease.label(lease)) [\(lease.key.instance)] port \(lease.port): \(reason.rawValue)")
            }
        }
    }
}
