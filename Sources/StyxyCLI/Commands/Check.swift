import ArgumentParser
import StyxyCore
import StyxyEngine
import StyxyProbe

extension Styxy {
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tell whether ports are free to bind now, and who holds those that are not.",
            discussion: """
                A port is busy when a socket listens on it (any address, IPv4 or IPv6) or a bind test fails. \
                A lease alone does not make a port busy; it is shown beside the port. Exit 0 when every \
                port is free, 1 otherwise.
                """
        )

        @Argument(help: "Ports to check.") var ports: [Int]
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if let bad = ports.first(where: { !(1...65535).contains($0) }) {
                throw ValidationError("ports are 1-65535, found \(bad)")
            }
        }

        func run() throws {
            let context = try EngineContext()
            try context.home.prepare(create: false)
            let held = try context.ledger.read().heldPorts(at: Timestamp.now())
            let snapshot = try context.probe.snapshot(protocols: [.tcp])
            let holders = PortInspector(probe: context.probe, snapshot: snapshot).holders(of: ports)
            var rows: [JSONValue] = []
            var table = Table("PORT", "STATE", "HELD BY", "LEASE")
            var busy = 0
            for port in ports {
                let listening = snapshot.isListening(UInt16(port))
                let bind = listening ? BindResult.inUse : context.probe.bindTest(port: UInt16(port), proto: .tcp)
                let timeWait = snapshot.hasTimeWait(UInt16(port))
                let state: String
                switch bind {
                case .free: state = timeWait ? "free (TIME_WAIT)" : "free"
                case .inUse: state = listening ? "listening" : (timeWait ? "TIME_WAIT" : "in use")
                case .denied(let code): state = "denied (\(FileIO.errorText(code)))"
                }
                if bind != .free { busy += 1 }
                let lease = held[port]
                let people = holders[port] ?? []
                table.add(String(port), state, people.first.map { "PID \($0.pid) \($0.command)" } ?? (listening ? "(not visible)" : "-"),
                          lease.map(Self.leaseText) ?? "-")
                rows.append(.object([
                    ("port", .int(port)),
                    ("free", .bool(bind == .free)),
                    ("state", .string(state)),
                    ("time_wait", .bool(timeWait)),
                    ("holders", .array(people.map(ReportJSON.holder))),
                    ("lease", lease?.json ?? .null),
                ]))
            }
            let out = Terminal.standardOutput
            if output.json {
                out.write(JSONValue.object([("format_version", .int(1)), ("ports", .array(rows))]).serialized())
            } else {
                out.write(table.rendered(on: out))
            }
            if busy > 0 { throw ExitCode(ExitStatus.conflict.rawValue) }
        }

        static func leaseText(_ lease: StyxyEngine.Lease) -> String {
            let who = lease.isShared ? "shared" : lease.project
            return "\(who)/\(Styxy.Lease.label(lease)) [\(lease.key.instance)]"
        }
    }
}

