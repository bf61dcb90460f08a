import ArgumentParser
import StyxyCore
import StyxyEngine
import StyxyProbe

extension Styxy {
    struct Scan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List listening TCP ports with their processes and leases."
        )

        @Option(help: "Only ports in this service type's range.", completion: Completions.typeNames) var type: String?
        @Option(help: "Only ports in this range, written A-B.") var range: String?
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

        func run() throws {
            let context = try EngineContext()
            var filter: ClosedRange<Int>? = range.flatMap(Self.parseRange)
            if let type {
                guard let known = context.catalog.types[type] else {
                    throw StyxyError(.usage, "unknown service type '\(type)'", hint: "`styxy types` lists them")
                }
                filter = known.range
            }
            try context.home.prepare(create: false)
            let held = try context.ledger.read().heldPorts(at: Timestamp.now())
            let snapshot = try context.probe.snapshot(protocols: [.tcp])
            let ports = snapshot.listeningPorts.map(Int.init).filter { filter?.contains($0) ?? true }.sorted()
            let holders = PortInspector(probe: context.probe, snapshot: snapshot).holders(of: ports)
            let out = Terminal.standardOutput
            if output.json {
                out.write(JSONValue.object([
                    ("format_version", .int(1)),
                    ("ports", .array(ports.map { port in
                        .object([
                            ("port", .int(port)),
                            ("addresses", .array(snapshot.listeners(on: UInt16(port)).map { .string($0.localAddress) })),
                            ("holders", .array((holders[port] ?? []).map(ReportJSON.holder))),
                            ("lease", held[port]?.json ?? .null),
                        ])
                    })),
                ]).serialized())
                return
            }
            var table = Table("PORT", "ADDRESS", "PID", "COMMAND", "LEASE")
            for port in ports {
                let addresses = Set(snapshot.listeners(on: UInt16(port)).map(\.localAddress)).sorted().joined(separator: ",")
                let holder = holders[port]?.first
                table.add(String(port), addresses, holder.map { String($0.pid) } ?? "?", holder?.command ?? "(not visible)",
                          held[port].map(Check.leaseText) ?? "-")
            }
            out.write(table.rendered(on: out))
        }
    }
}
