import StyxyCore
import StyxyEngine
import StyxyManifest
import StyxyProbe
import StyxyProcess

/// `up`: every service's `command:` at once, each ready only once its own processes listen on
/// its leased ports; any failure stops them all.
package struct UpRequest: Sendable {
    package var lease: LeaseRequest
    /// Empty: every service that has a command.
    package var services: [String]
    /// For services without `ready: { timeout }`; default `StyxyApp.defaultWait`.
    package var readyTimeout: Double?
    /// Where service output and Styxy's own lines go, and whether they may be coloured.
    package var output: Int32
    package var colour: Bool

    package init(lease: LeaseRequest, services: [String], readyTimeout: Double?, output: Int32, colour: Bool) {
        (self.lease, self.services, self.readyTimeout, self.output, self.colour) = (lease, services, readyTimeout, output, colour)
    }
}

/// How `up` ended: the status to exit with and why, in one line.
package struct UpOutcome: Sendable {
    package var status: Int32
    package var reason: String
}

extension StyxyApp {
    /// A service whose tree listens on other ports, never on its own, is reported this long after
    /// that is first seen: a server binds its port once, so waiting out the whole ready timeout
    /// would only delay the message.
    static let driftSettle: Double = 3

    package func up(_ request: UpRequest) throws(StyxyError) -> UpOutcome {
        let workspace = try workspace()
        let manifest = try workspace.loadManifest(locateManifest(request.lease.manifest))
        let named = request.services.isEmpty ? manifest.services.filter { $0.command != nil }
            : try Self.services(named: request.services, in: manifest, needingCommand: true)
        guard !named.isEmpty else {
            throw StyxyError(.usage, "no service in \(manifest.path) has a command: to start",
                             hint: "declare `command:` for the services `up` should start (docs/manifest.md)")
        }
        let order = manifest.startOrder(of: named.map(\.name))
        let outcome = try ResolvePipeline(workspace).run(
            manifest, options: ResolveOptions(instance: request.lease.instance, ttl: request.lease.ttl), mode: .write)
        let report = outcome.report
        try Self.refuseHeldPorts(report, starting: Set(order.filter { $0.command != nil }.map(\.name)))
        let commands = try ServiceCommands(manifest: manifest, report: report)
        var environment = environment.variables
        for (name, value) in ResolvedPorts(report: report).variables { environment[name] = value }
        var plans: [UpRun.Plan] = []
        for service in order {
            let spec = try service.command.map { _ throws(StyxyError) in
                ProcessSpec(name: service.name, command: commands.command(of: service.name) ?? "", environment: environment,
                            workingDirectory: try commands.folder(of: service))
            }
            plans.append(UpRun.Plan(service: service, spec: spec, ports: Self.watchedPorts(of: [service], report: report)[service.name] ?? [],
                                    timeout: service.readyTimeout ?? request.readyTimeout ?? Self.defaultWait))
        }
        return try UpRun(plans: plans, probe: workspace.probe).run(output: request.output, colour: request.colour)
    }

    /// Refuses, before anything starts, ports someone else holds; and ports this project's own
    /// processes hold, for a service `up` would start there: its server would only die with
    /// "Address already in use".
    static func refuseHeldPorts(_ report: ResolveReport, starting: Set<String>) throws(StyxyError) {
        var problems: [Diagnostic] = []
        for item in report.assignments where !item.shared {
            guard let occupant = item.occupant, starting.contains(item.service) || occupant.holderClass != .thisProject else { continue }
            let whose = occupant.holderClass == .thisProject ? "already held by this project's" : "held by"
            problems.append(Diagnostic(.error, "port \(item.port) of \(item.label) is \(whose) \(occupant.description)",
                                       hint: occupant.holderClass == .thisProject ? "stop it first, then run `styxy up` again"
                                           : "stop the holder, or run `styxy resolve --reassign` to move the lease"))
        }
        if !problems.isEmpty { throw StyxyError(.conflict, problems) }
    }
}

/// One run of `up`: starts services as their `after:` services become ready, watches each until
/// its own processes listen on its ports, and ends everything on the first failure.
struct UpRun {
    struct Plan {
        var service: Service
        /// nil for a service without a command: `up` waits for its ports but does not start it.
        var spec: ProcessSpec?
        var ports: [WatchedPort]
        var timeout: Double
    }

    let plans: [Plan]
    let probe: any PortProbe

    func run(output: Int32, colour: Bool) throws(StyxyError) -> UpOutcome {
        let supervisor: Supervisor
        do {
            supervisor = try Supervisor(names: plans.filter { $0.spec != nil }.map(\.service.name), colour: colour, output: output)
        } catch {
            throw StyxyError(.conflict, "cannot supervise the services: \(error)")
        }
        var watch = UpWatch(plans: plans, began: Monotonic.seconds())
        // A tick that cannot read the socket tables ends the run like any other failure.
        let ending: Ending<String> = supervisor.run(tick: .milliseconds(100)) { () -> TickDecision<String> in
            do {
                return try watch.tick(supervisor: supervisor, probe: probe)
            } catch {
                return .stop("\(error)")
            }
        }
        let outcome: UpOutcome
        switch ending {
        case .exited(let service, let termination):
            let how = termination.code > 128 && termination != .exited(termination.code)
                ? "was killed by \(SignalName.of(termination.code - 128))" : "exited with status \(termination.code)"
            outcome = UpOutcome(status: termination.code == 0 ? 1 : termination.code, reason: "\(service) \(how); stopping the others")
        case .signalled(let signal):
            outcome = UpOutcome(status: 128 + signal, reason: "\(SignalName.of(signal)) received; stopping every service")
        case .stopped(let reason):
            outcome = UpOutcome(status: 1, reason: reason)
        }
        supervisor.say("styxy: \(outcome.reason)")
        let stopped = supervisor.stop()
        if !stopped.survivors.isEmpty {
            supervisor.say("styxy: \(stopped.survivors.count) process(es) did not end even after SIGKILL: \(stopped.survivors.sorted())")
        }
        return outcome
    }
}

/// What `up` knows between ticks: which services started, when, and which are ready.
struct UpWatch {
    let plans: [Plan]
    let began: Double
    var startedAt: [String: Double] = [:]
    var ready: Set<String> = []
    var driftSeen: [String: Double] = [:]
    var announcedAll = false

    typealias Plan = UpRun.Plan

    init(plans: [Plan], began: Double) {
        self.plans = plans
        self.began = began
    }

    mutating func tick(supervisor: Supervisor, probe: any PortProbe) throws(StyxyError) -> TickDecision<String> {
        let now = Monotonic.seconds()
        for plan in plans where startedAt[plan.service.name] == nil && plan.service.after.allSatisfy({ ready.contains($0.name) }) {
            if let spec = plan.spec {
                do {
                    _ = try supervisor.start(spec)
                } catch {
                    return .stop("cannot start \(plan.service.name): \(error)")
                }
            }
            startedAt[plan.service.name] = now
        }
        let waiting = plans.filter { startedAt[$0.service.name] != nil && !ready.contains($0.service.name) }
        guard !waiting.isEmpty else { return .proceed }
        let view = try ListenerView(probe: probe)
        let tree = try? ProcessTree.snapshot()
        for plan in waiting {
            let name = plan.service.name
            let since = now - (startedAt[name] ?? now)
            if let decision = check(plan, view: view, tree: tree, supervisor: supervisor, since: since, now: now) { return decision }
        }
        if !announcedAll && ready.count == plans.count {
            announcedAll = true
            supervisor.say("styxy: all \(plans.count) service(s) ready (\(Self.seconds(now - began)))")
        }
        return .proceed
    }

    private mutating func check(_ plan: Plan, view: ListenerView, tree: ProcessTree?, supervisor: Supervisor,
                                since: Double, now: Double) -> TickDecision<String>? {
        let name = plan.service.name
        let portList = plan.ports.map { String($0.port) }.joined(separator: ", ")
        guard plan.spec != nil else {
            // Started elsewhere (Compose, a database service): ready once something listens.
            if plan.ports.allSatisfy({ view.holders(of: $0).listening }) {
                ready.insert(name)
                supervisor.say("styxy: \(name) ready on \(portList) (not started by styxy, \(Self.seconds(since)))")
            } else if since >= plan.timeout {
                return .stop("\(name) has no command and nothing listens on \(portList) after \(Self.seconds(since)); start it, or give it a command:")
            }
            return nil
        }
        let own = tree.map { supervisor.processes(of: name, in: $0) } ?? []
        var pids: [Int32] = []
        for port in plan.ports {
            let (listening, holders) = view.holders(of: port)
            if let mine = holders.first(where: { own.contains($0.pid) }) {
                pids.append(mine.pid)
            } else if listening, let other = holders.first {
                return .stop("port \(port.port) of \(port.label) is held by PID \(other.pid) (\(PrintableText.escaped(other.command))), not by \(name)'s processes")
            }
        }
        if pids.count == plan.ports.count {
            ready.insert(name)
            let pidText = Set(pids).sorted().map(String.init).joined(separator: ", ")
            supervisor.say("styxy: \(name) ready on \(portList) (pid \(pidText), \(Self.seconds(since)))")
            return nil
        }
        let elsewhere = view.ports(heldBy: own).filter { port in !plan.ports.contains { $0.port == port } }
        if !elsewhere.isEmpty {
            let first = driftSeen[name] ?? now
            driftSeen[name] = first
            if now - first >= StyxyApp.driftSettle || since >= plan.timeout {
                let wanted = plan.ports.count == 1 ? "its leased port \(portList)" : "its leased ports \(portList)"
                return .stop("\(name) listens on \(elsewhere.map(String.init).joined(separator: ", ")), not on \(wanted): "
                    + "its command ignores the port (pass {{port}} in its command:, or read $\(plan.service.ports.first?.env.first ?? "PORT"))")
            }
        }
        if since >= plan.timeout {
            return .stop("\(name) is not listening on \(portList) after \(Self.seconds(since)) (ready timeout; set `ready: { timeout: D }` or --ready-timeout)")
        }
        return nil
    }

    static func seconds(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return "\(tenths) s"
    }
}
