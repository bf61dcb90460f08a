import ArgumentParser
import StyxyCore
import StyxyKit
import StyxyEngine
import StyxyProbe

extension Styxy {
    struct Check: StyxyCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Tell whether ports are free to bind now, and who holds those that are not.",
            discussion: """
                A port is busy when a socket listens on it (any address, IPv4 or IPv6; for UDP, any bound socket) \
                or a bind test fails; TCP and UDP are both checked unless --protocol says one. \
                A lease alone does not make a port busy; it is shown beside the port. Exit 0 when every \
                port is free, 1 otherwise.
                """
        )

        @Argument(help: "Ports to check.") var ports: [Int]
        @Option(help: "tcp, udp or any (default: any).") var `protocol`: ProtocolChoice = .any
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if let bad = ports.first(where: { !(1...65535).contains($0) }) {
                throw ValidationError("ports are 1-65535, found \(bad)")
            }
        }

        func run(in context: CommandContext) throws {
            let checks = try context.app.check(ports: ports, protocols: `protocol`.transports)
            let out = context.out
            if output.json {
                out.write(ReportJSON.document([("ports", .array(checks.map { item in
                    .object([
                        ("port", .int(item.port)),
                        ("free", .bool(item.isFree)),
                        ("state", .string(item.state)),
                        ("time_wait", .bool(item.timeWait)),
                        ("protocols", .object(item.sides.map { side in
                            (side.transport.rawValue, .object([("free", .bool(side.bind == .free)), ("listening", .bool(side.listening))]))
                        })),
                        ("holders", .array(item.holders.map(ReportJSON.holder))),
                        ("lease", item.lease?.json ?? .null),
                    ])
                }))]).serialized())
            } else {
                var table = Table("PORT", "STATE", "HELD BY", "LEASE")
                for item in checks {
                    table.add(String(item.port), item.state,
                              item.holders.first.map { "PID \($0.pid) \($0.command)" } ?? (item.listening ? "(not visible)" : "-"),
                              item.lease.map(Self.leaseText) ?? "-")
                }
                out.write(table.rendered(on: out))
            }
            if checks.contains(where: { !$0.isFree }) { throw ExitCode(ExitStatus.conflict.rawValue) }
        }

        static func leaseText(_ lease: StyxyEngine.Lease) -> String {
            let who = lease.isShared ? "shared" : lease.project
            return "\(who)/\(lease.key.label) [\(lease.key.instance)]"
        }
    }
}


/// `--protocol tcp|udp|any` of `check` and `scan`.
enum ProtocolChoice: String, ExpressibleByArgument, CaseIterable {
    case tcp, udp, any

    var transports: [Transport] {
        switch self {
        case .tcp: return [.tcp]
        case .udp: return [.udp]
        case .any: return Transport.allCases
        }
    }
}
