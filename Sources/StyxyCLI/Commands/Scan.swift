import ArgumentParser
import StyxyCore
import StyxyKit
import StyxyEngine
import StyxyProbe

extension Styxy {
    struct Scan: StyxyCommand {
        static let configuration = CommandConfiguration(
            commandName: "scan",
            abstract: "List listening TCP ports and bound UDP ports with their processes and leases."
        )

        @Option(help: "Only ports in this service type's range.", completion: Completions.typeNames) var type: String?
        @Option(help: "Only ports in this range, written A-B.") var range: String?
        @Option(help: "tcp, udp or any (default: any).") var `protocol`: ProtocolChoice = .any
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if type != nil && range != nil { throw ValidationError("give --type or --range, not both") }
            if let range, Self.parseRange(range) == nil { throw ValidationError("--range takes A-B with 1 <= A <= B <= 65535, found '\(range)'") }
        }

        static func parseRange(_ text: String) -> ClosedRange<Int>? {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]), 1 <= low, low <= high, high <= 65535 else { return nil }
            return low...high
        }

        func run(in context: CommandContext) throws {
            let ports = try context.app.scan(type: type, range: range.flatMap(Self.parseRange), protocols: `protocol`.transports)
            let out = context.out
            if output.json {
                out.write(ReportJSON.document([
                    ("ports", .array(ports.map { item in
                        .object([
                            ("port", .int(item.port)),
                            ("protocol", .string(item.transport.rawValue)),
                            ("addresses", .array(item.addresses.map(JSONValue.string))),
                            ("holders", .array(item.holders.map(ReportJSON.holder))),
                            ("lease", item.lease?.json ?? .null),
                        ])
                    })),
                ]).serialized())
                return
            }
            var table = Table("PORT", "PROTO", "ADDRESS", "PID", "COMMAND", "LEASE")
            for item in ports {
                let holder = item.holders.first
                table.add(String(item.port), item.transport.rawValue, Set(item.addresses).sorted().joined(separator: ","), holder.map { String($0.pid) } ?? "?",
                          holder?.command ?? "(not visible)", item.lease.map(Check.leaseText) ?? "-")
            }
            out.write(table.rendered(on: out))
        }
    }
}
