import ArgumentParser
import StyxyCore
import StyxyKit
import StyxyEngine
import StyxyManifest

extension Styxy {
    struct Lease: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lease",
            abstract: "Inspect and manage the ledger of leases.",
            subcommands: [List.self, Release.self, Prune.self]
        )
    }
}

extension Styxy.Lease {
    struct List: StyxyCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List every lease in the ledger.")

        @Option(help: "Only leases of this project (its name or root folder).") var project: String?
        @Option(help: ArgumentHelp("Only leases whose project root is this folder (a worktree, say; it need not exist any more).",
                                   valueName: "path"), completion: .directory)
        var root: String?
        @OptionGroup var output: OutputOptions

        func run(in context: CommandContext) throws {
            let leases = try context.app.leases(project: project, root: root)
            let out = context.out
            if output.json {
                out.write(bytes: LeaseListing.bytes(leases, under: "leases"))
                return
            }
            if leases.isEmpty {
                let filters = [project, root.map { "root \($0)" }].compactMap { $0 }
                out.line(filters.isEmpty ? "no leases" : "no leases for \(filters.joined(separator: ", "))")
                return
            }
            let now = context.environment.clock()
            var table = Table("PROJECT", "SERVICE", "INSTANCE", "PORT", "EXPIRES", "ROOT")
            for lease in leases {
                let expiry = lease.expiresAt.map { $0 <= now ? "expired" : Timestamp.format($0) } ?? "-"
                table.add(lease.isShared ? "(shared)" : lease.project, lease.key.label.description, lease.key.instance,
                          String(lease.port), expiry, lease.key.root ?? "-")
            }
            out.write(table.rendered(on: out))
        }
    }

    struct Release: StyxyCommand {
        static let configuration = CommandConfiguration(
            commandName: "release",
            abstract: "Release leases: of the manifest's project by default, or of --project.",
            discussion: "With no SERVICE, every lease of the project and instance goes. Shared leases go only with --shared."
        )

        @OptionGroup var manifestOptions: ManifestOptions
        @Option(help: "The project (name or root folder) whose leases to release, instead of the manifest's.") var project: String?
        @Option(help: "The project root folder whose leases to release (picks one of several projects of one name).",
                completion: .directory) var root: String?
        @Option(help: "Only this instance (repeat for several; default: every instance of the project).",
                completion: Completions.instanceNames)
        var instance: [String] = []
        @Flag(help: "Release the named shared services' machine-wide leases.") var shared = false
        @Argument(help: "Services to release (default: all).", completion: Completions.serviceNames) var services: [String] = []
        @OptionGroup var output: OutputOptions

        func validate() throws {
            // Here rather than in run(), so the usage printed with the error is this command's.
            if shared && services.isEmpty { throw ValidationError("--shared needs the names of the shared services to release") }
            if project != nil && root != nil { throw ValidationError("give --project or --root, not both") }
        }

        func run(in context: CommandContext) throws {
            let released = try context.app.release(.init(manifest: manifestOptions.manifest, project: project, root: root,
                                                         instances: instance, shared: shared, services: services))
            let out = context.out
            if output.json {
                out.write(bytes: LeaseListing.bytes(released, under: "released"))
                return
            }
            if released.isEmpty { out.line("nothing to release") }
            for lease in released {
                out.line("released \(lease.key.label) [\(lease.key.instance)] port \(lease.port)")
            }
        }
    }

    struct Prune: StyxyCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune",
            abstract: "Remove expired leases and leases whose project folder or manifest is gone."
        )

        @Flag(help: "List what would be removed; remove nothing.") var dryRun = false
        @OptionGroup var output: OutputOptions

        func run(in context: CommandContext) throws {
            let pruned = try context.app.prune(dryRun: dryRun)
            let out = context.out
            if output.json {
                out.write(ReportJSON.document([
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
                out.line("\(dryRun ? "would prune" : "pruned") \(lease.project)/\(lease.key.label) [\(lease.key.instance)] port \(lease.port): \(reason.rawValue)")
            }
        }
    }
}
