import ArgumentParser
import StyxyCore
import StyxyEngine
import StyxyKit

extension Styxy {
    struct Wait: StyxyCommand {
        static let configuration = CommandConfiguration(
            commandName: "wait",
            abstract: "Wait until the services listen on their leased ports, held by this project's processes.",
            discussion: """
                For scripts and test runners: exit 0 once each leased port of the named services (default: \
                all) accepts connections and is held by a process of this project; exit 1 at once when \
                another project or a foreign process holds one (naming it), and exit 1 at the timeout \
                naming what is missing. Leases like `env`, so the ports are those `run` and `up` use.
                """
        )

        @OptionGroup var manifestOptions: ManifestOptions
        @OptionGroup var instanceOptions: InstanceOptions
        @Option(help: "How long to wait (default 60s, at most 1h).") var timeout: String?
        @Argument(help: "Services to wait for (default: every service).", completion: Completions.serviceNames)
        var services: [String] = []
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if let timeout, WaitTimeout.seconds(timeout) == nil { throw ValidationError(WaitTimeout.invalid("--timeout", timeout)) }
        }

        func run(in context: CommandContext) throws {
            let request = LeaseRequest(manifest: manifestOptions.manifest, instance: instanceOptions.instance)
            let report = try context.app.wait(request, services: services,
                                              timeout: timeout.flatMap(WaitTimeout.seconds) ?? StyxyApp.defaultWait)
            if output.json {
                context.out.write(Self.json(report).serialized())
            } else {
                Self.print(report, context: context)
            }
            if !report.ready { throw ExitCode(ExitStatus.conflict.rawValue) }
        }

        static func print(_ report: WaitReport, context: CommandContext) {
            let elapsed = (report.elapsed * 10).rounded() / 10
            if report.ready {
                let ports = report.ports.map { "\($0.port.label) on \($0.port.port)" }.joined(separator: ", ")
                context.out.line("ready: \(ports) (\(elapsed) s)")
                return
            }
            for item in report.ports where item.state != .ready {
                let what: String
                switch item.state {
                case .ready: continue
                case .missing: what = "nothing accepts connections yet"
                case .hidden: what = "held by \(item.occupant?.description ?? "a process Styxy cannot see")"
                case .taken:
                    let occupant = item.occupant
                    what = "held by \(occupant?.description ?? "another process") (\(occupant?.holderClass.label ?? "foreign")), not by this project"
                }
                context.err.line("styxy: port \(item.port.port) of \(item.port.label): \(what)")
            }
            context.err.line(report.taken.isEmpty ? "styxy: not ready after \(elapsed) s" : "styxy: not waiting: the port is someone else's")
        }

        static func json(_ report: WaitReport) -> JSONValue {
            ReportJSON.document([
                ("ready", .bool(report.ready)),
                ("elapsed_seconds", .number((report.elapsed * 1000).rounded() / 1000)),
                ("ports", .array(report.ports.map { item in
                    .object([
                        ("service", .string(item.port.label.service)),
                        ("port_name", .string(item.port.label.port)),
                        ("port", .int(item.port.port)),
                        ("state", .string(item.state.rawValue)),
                        ("held_by", ReportJSON.occupant(item.occupant)),
                    ])
                })),
            ])
        }
    }
}
