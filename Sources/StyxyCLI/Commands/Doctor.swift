import ArgumentParser
import StyxyCore
import StyxyKit

extension Styxy {
    struct Doctor: StyxyCommand {
        static let configuration = CommandConfiguration(
            commandName: "doctor",
            abstract: "Check the state folder, ledger, lock, catalog and leases against reality.",
            discussion: """
                With a manifest (-m, or styxy.yaml here or above) it is checked too, and so is what its \
                outputs need (a compose-override output needs Docker Compose 2.24.4 or later). \
                Exit 0 when all is well, 1 when something needs attention (a problem or a warning). --repair is the one way to mend \
                a damaged ledger: it keeps the bad file aside as ledger.json.damaged-<time> (never deletes it) \
                and restores the last good generation from ledger.json.bak, or writes an empty ledger when \
                there is no usable backup (a damaged backup is kept aside too, and reported).
                """
        )

        @Flag(help: "Keep a damaged ledger aside and restore the backup, or write an empty ledger when there is no usable one.") var repair = false
        @OptionGroup var manifest: ManifestOptions
        @OptionGroup var output: OutputOptions

        func run(in context: CommandContext) throws {
            let report = try context.app.doctor(repair: repair, manifest: manifest.manifest)
            let out = context.out
            if output.json {
                out.write(Self.json(report).serialized())
                if report.hasProblems { throw ExitCode(ExitStatus.conflict.rawValue) }
                return
            }
            for check in report.checks {
                switch check.verdict {
                case .ok: out.line("\(out.styled("ok", .green))      \(check.text)")
                case .problem: out.line("\(out.styled("problem", .bold, .red)) \(check.text)")
                case .warning: out.line("\(out.styled("warning", .bold, .yellow)) \(check.text)")
                case .note: out.line("\(out.styled("note", .cyan))    \(check.text)")
                }
            }
            if report.hasProblems { throw ExitCode(ExitStatus.conflict.rawValue) }
        }

        static func json(_ report: DoctorReport) -> JSONValue {
            ReportJSON.document([
                ("ok", .bool(!report.hasProblems)),
                ("checks", .array(report.checks.map { check in
                    .object([("verdict", .string(check.verdict.word)), ("text", .string(check.text))])
                })),
                ("conflicts", .array(report.conflicts.map { conflict in
                    .object([("lease", conflict.lease.json), ("held_by", ReportJSON.occupant(conflict.occupant))])
                })),
            ])
        }
    }
}
