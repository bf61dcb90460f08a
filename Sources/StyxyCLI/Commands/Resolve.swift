import ArgumentParser
import StyxyCore
import StyxyEngine
import StyxyKit
import StyxyManifest

extension Styxy {
    struct Resolve: StyxyCommand {
        static let configuration = CommandConfiguration(
            commandName: "resolve",
            abstract: "Lease a port for every service of the manifest and write its outputs.",
            discussion: """
                Existing leases keep their ports. New ones come from the service's preferred port, the type's \
                preferred ports, then its range, each confirmed free by the operating system. Services the \
                manifest no longer declares are released. Exit status: 0 done (conflicts are reported), 1 a \
                conflict with --strict, 65 invalid manifest, 69 no free port, 74 ledger error, 75 lock timeout.
                """
        )

        @OptionGroup var manifestOptions: ManifestOptions
        @OptionGroup var instanceOptions: InstanceOptions
        @OptionGroup var ttlOptions: TTLOptions
        @Flag(name: .customLong(Spelling.dryRun), help: "Show what would change, with a diff of each output; write nothing.") var dryRun = false
        @Flag(name: .customLong(Spelling.check), help: "Write nothing; exit 1 when an output is stale (for CI and pre-commit hooks).") var check = false
        @Flag(name: .customLong(Spelling.reassign), help: "Move leases whose port another process holds to a free port.") var reassign = false
        @Flag(name: .customLong(Spelling.strict), help: "Fail (exit 1) when another process holds a leased port.") var strict = false
        @Flag(name: .customLong(Spelling.adopt), help: "Take over output files Styxy did not write, copying each to NAME.styxy-backup first.") var adopt = false
        @Flag(name: .customLong(Spelling.quiet), help: "Print nothing on success; warnings and errors still go to standard error (for git hooks and agents).") var quiet = false
        @OptionGroup var output: OutputOptions

        var settings: Settings {
            Settings(common: CommonSettings(manifest: manifestOptions.manifest, instance: instanceOptions.instance, ttl: ttlOptions.ttl),
                     dryRun: dryRun, check: check, reassign: reassign, strict: strict, adopt: adopt, json: output.json, quiet: quiet)
        }

        func validate() throws {
            if let problem = settings.problem { throw ValidationError(problem) }
        }

        func run(in context: CommandContext) throws {
            try settings.execute(in: context)
        }

        /// Everything `resolve` was asked, from ArgumentParser or from `QuickArguments`.
        struct Settings {
            var common: CommonSettings
            var dryRun = false
            var check = false
            var reassign = false
            var strict = false
            var adopt = false
            var json = false
            /// Nothing on standard output; findings and failures still reach standard error.
            var quiet = false

            static let flags = Set([Spelling.dryRun, Spelling.check, Spelling.reassign, Spelling.strict, Spelling.adopt, Spelling.json,
                                    Spelling.quiet].map { "--" + $0 })

            init(common: CommonSettings, dryRun: Bool, check: Bool, reassign: Bool, strict: Bool, adopt: Bool, json: Bool, quiet: Bool) {
                (self.common, self.dryRun, self.check, self.reassign, self.strict, self.json) = (common, dryRun, check, reassign, strict, json)
                (self.adopt, self.quiet) = (adopt, quiet)
            }

            init?(quick words: [String]) {
                guard let quick = QuickArguments.parse(words, options: QuickArguments.commonOptions, flags: Self.flags) else { return nil }
                self.init(common: CommonSettings(quick), dryRun: quick.has(Spelling.dryRun), check: quick.has(Spelling.check),
                          reassign: quick.has(Spelling.reassign), strict: quick.has(Spelling.strict),
                          adopt: quick.has(Spelling.adopt), json: quick.has(Spelling.json), quiet: quick.has(Spelling.quiet))
                if problem != nil { return nil }
            }

            var problem: String? {
                if let problem = common.problem { return problem }
                if dryRun && check { return "--dry-run and --check do not go together" }
                if check && reassign { return "--check writes nothing, so it cannot --reassign" }
                if adopt && (check || dryRun) { return "--adopt takes files over by writing them; it does not go with --check or --dry-run" }
                if quiet && (json || dryRun) { return "--quiet prints nothing on standard output, so it does not go with --\(json ? Spelling.json : Spelling.dryRun)" }
                return nil
            }

            var mode: ResolveMode { check ? .check : (dryRun ? .dryRun : .write) }

            func execute(in context: CommandContext) throws {
                let outcome = try context.app.resolve(common.request, mode: mode, reassign: reassign, adopt: adopt)
                Resolve.print(outcome, json: json, quiet: quiet, context: context)
                let stale = outcome.staleOutputs
                if check && !stale.isEmpty {
                    for item in stale {
                        context.err.line("\(item.relativePath): stale (would be \(item.status == .created ? "created" : "updated")); run `styxy resolve`")
                    }
                    throw ExitCode(ExitStatus.conflict.rawValue)
                }
                if strict && !outcome.report.conflicts.isEmpty { throw ExitCode(ExitStatus.conflict.rawValue) }
            }
        }

        static func print(_ outcome: ResolveOutcome, json: Bool, quiet: Bool = false, context: CommandContext) {
            let report = outcome.report
            let mode = outcome.mode
            let dryRun = mode.changesNothing
            let out = context.out
            if quiet {
                printFindings(report, on: context.err)
                return
            }
            if json {
                out.write(ReportJSON.document([
                    ("project", .string(report.project)),
                    ("root", .string(report.root)),
                    ("instance", .string(report.instance)),
                    ("dry_run", .bool(dryRun)),
                    ("ledger_changed", .bool(report.ledgerChanged)),
                    ("services", .array(report.assignments.map(ReportJSON.assignment))),
                    ("released", .array(report.released.map(\.json))),
                    ("findings", .array(report.findings.map(ReportJSON.finding))),
                    ("outputs", .array(outcome.outputs.map { item in
                        .object([("path", .string(item.relativePath)), ("status", .string(item.status.rawValue)), ("stale", .bool(item.isStale))])
                    })),
                ]).serialized())
                return
            }
            var table = Table("SERVICE", "PORT", "VARIABLES", "STATUS")
            let findings = Dictionary(grouping: report.findings, by: \.label)
            for item in report.assignments {
                let name = item.label
                let own = findings[name] ?? []
                // A kept lease whose port someone else holds is not simply kept.
                var status = own.contains { $0.kind == .conflict } ? "conflict" : item.status.rawValue
                if let why = own.first(where: { $0.kind == .preferenceUnavailable }) { status += " (\(why.short))" }
                if let previous = item.previousPort { status += " from \(previous)" }
                if item.shared { status += ", shared" }
                if let occupant = item.occupant, occupant.holderClass == .thisProject { status += ", running (PID \(occupant.holders.first.map { String($0.pid) } ?? "?"))" }
                table.add(name.description, String(item.port), item.env.joined(separator: " "), status)
            }
            out.write(table.rendered(on: out))
            for lease in report.released {
                out.line("released \(lease.key.label) (port \(lease.port))")
            }
            for item in outcome.outputs where item.status != .unchanged {
                let verb = dryRun ? "would be \(item.status.rawValue)" : item.status.rawValue
                out.line("\(item.relativePath): \(verb)")
                if mode == .dryRun, let diff = item.diff { out.write(diff.hasSuffix("\n") ? diff : diff + "\n") }
            }
            if mode == .dryRun { out.line(Self.dryRunSummary(report)) }
            printFindings(report, on: context.err)
        }

        /// Conflicts and notes, on standard error: what a quiet run still owes its user.
        static func printFindings(_ report: ResolveReport, on err: Terminal) {
            for finding in report.findings {
                let word = finding.severity == .conflict ? err.styled("conflict:", .bold, .yellow) : err.styled("note:", .bold, .cyan)
                err.line("\(word) \(finding.message)")
                if let step = finding.nextStep { err.line("  next: \(step)") }
            }
        }

        /// What a dry run would do to the ledger, in words: a refresh alone is not a port change.
        static func dryRunSummary(_ report: ResolveReport) -> String {
            guard report.ledgerChanged else { return "dry run: the ledger would not change" }
            let counts = [
                (report.assignments.filter { $0.status == .new }.count, "new"),
                (report.assignments.filter { $0.status == .moved }.count, "moved"),
                (report.released.count, "released"),
            ].filter { $0.0 > 0 }
            guard !counts.isEmpty else {
                return "dry run: no port would change; the ledger would only record this run (refresh times and TTLs); nothing was written"
            }
            let leases = counts.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
            return "dry run: the ledger would change (\(leases)); nothing was written"
        }
    }
}
