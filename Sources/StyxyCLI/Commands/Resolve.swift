import ArgumentParser
import StyxyCore
import StyxyEngine
import StyxyManifest

extension Styxy {
    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(
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
        @Flag(help: "Show what would change; write nothing.") var dryRun = false
        @Flag(help: "Move leases whose port another process holds to a free port.") var reassign = false
        @Flag(help: "Fail (exit 1) when another process holds a leased port.") var strict = false
        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try EngineContext()
            let manifest = try context.loadManifest(manifestOptions.manifest)
            let options = ResolveOptions(instance: instanceOptions.instance, ttl: try ttlOptions.seconds,
                                         reassign: reassign, dryRun: dryRun)
            let resolver = context.resolver()
            let report = try resolver.resolve(manifest, options: options)
            if !dryRun { try resolver.settleMoves(manifest, instance: options.instance) }
            Self.print(report, json: output.json, dryRun: dryRun)
            if strict && !report.conflicts.isEmpty { throw ExitCode(ExitStatus.conflict.rawValue) }
        }

        static func print(_ report: ResolveReport, json: Bool, dryRun: Bool) {
            let out = Terminal.standardOutput
            if json {
                out.write(JSONValue.object([
                    ("format_version", .int(1)),
                    ("project", .string(report.project)),
                    ("root", .string(report.root)),
                    ("instance", .string(report.instance)),
                    ("dry_run", .bool(dryRun)),
                    ("ledger_changed", .bool(report.ledgerChanged)),
                    ("services", .array(report.assignments.map(ReportJSON.assignment))),
                    ("released", .array(report.released.map(\.json))),
                    ("findings", .array(report.findings.map(ReportJSON.finding))),
                ]).serialized())
                return
            }
            var table = Table("SERVICE", "PORT", "VARIABLES", "STATUS")
            for item in report.assignments {
                let name = item.portName == "default" ? item.service : "\(item.service).\(item.portName)"
                var status = item.status.rawValue
                if let previous = item.previousPort { status += " from \(previous)" }
                if item.shared { status += ", shared" }
                if let occupant = item.occupant, occupant.holderClass == .thisProject { status += ", running (PID \(occupant.holders.first.map { String($0.pid) } ?? "?"))" }
                table.add(name, String(item.port), item.env.joined(separator: " "), status)
            }
            out.write(table.rendered(on: out))
            for lease in report.released {
                out.line("released \(lease.key.service)\(lease.key.portName == "default" ? "" : "." + lease.key.portName) (port \(lease.port))")
            }
            if dryRun { out.line(report.ledgerChanged ? "dry run: the ledger would change; nothing was written" : "dry run: nothing would change") }
            let err = Terminal.standardError
            for finding in report.findings {
                let word = finding.severity == .conflict ? err.styled("conflict:", .bold, .yellow) : err.styled("note:", .bold, .cyan)
                err.line("\(word) \(finding.message)")
                if let step = finding.nextStep { err.line("  next: \(step)") }
            }
        }
    }
}
