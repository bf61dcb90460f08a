#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a project's services as one foreground job, as Procfile runners do: each service in its own
/// process group, every line it prints shown as `NAME | line`, and nothing it started left behind.
///
/// The life of a supervisor: `init`, `start` the first services, then `run`, which returns on the
/// first event (a service's main process ended, SIGINT or SIGTERM, or the caller's tick asked to
/// stop); on each tick in between, the caller may `start` more services, `say` a line, or stop.
/// Then `stop`, which ends every process the services started, daemons included, and returns once
/// they are all gone. Dropping a supervisor that was not stopped stops it.
///
/// One supervisor owns its whole process while it lives: it makes the process the child subreaper
/// (so descendants that daemonise or call `setsid` are re-parented to it, not to init), reaps every
/// child with `waitpid(-1)`, catches SIGINT, SIGTERM and SIGCHLD, and ignores SIGPIPE. Host it in a
/// process that starts no children of its own by other means (`styxy up` is such a process; the
/// tests host it in a child process). A second supervisor in the same process is refused until the
/// first has stopped.
public final class Supervisor {
    /// How long `stop` waits after SIGTERM before it sends SIGKILL to what is left.
    public static let defaultGrace: Duration = .seconds(5)
    /// The longest line piece: a longer line is shown as several lines of at most this many bytes.
    public static let lineLimit = 16 * 1024
    /// How long `stop` keeps trying once SIGKILL is sent (a process stuck in the kernel cannot die).
    static let killPatience: Duration = .seconds(2)

    enum State { case running, stopped(StopReport) }

    struct Service {
        var pid: pid_t
        var termination: Termination?
    }

    struct Stream {
        var fd: Int32
        var service: String
        var lines = LineBuffer(limit: Supervisor.lineLimit)
    }

    let names: [String]
    let output: OutputSink
    let relay: SignalRelay
    private let subreaperWasOn: Bool
    var state = State.running
    var services: [String: Service] = [:]
    var serviceByPID: [pid_t: String] = [:]
    var streams: [Stream] = []
    /// Main-process exits `run` has yet to return, oldest first.
    var exits: [(service: String, termination: Termination)] = []
    /// SIGINT and SIGTERM not yet returned by `run`; any still here when `stop` begins cut its grace short.
    var pendingSignals: [Int32] = []
    /// The service each process was last seen under, so that one re-parented to the supervisor
    /// (its parent ended) still counts as that service's.
    var owners: [pid_t: String] = [:]
    private var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)

    /// `names` are every service this supervisor may start: the prefixes are padded to the widest
    /// of them and colours are given in their order, so neither changes when a late service starts.
    /// `colour` is the caller's decision (on a terminal, and no `NO_COLOR`). `output` receives
    /// every line; the supervisor never closes it. Throws `.alreadyActive` while another
    /// supervisor of this process has not stopped, and `.unsupported` where there is no child
    /// subreaper and no `/proc` (anything but Linux).
    public init(names: [String], colour: Bool, output: Int32 = STDOUT_FILENO) throws(SupervisorError) {
        #if os(Linux)
        var unique: [String] = []
        for name in names where !unique.contains(name) { unique.append(name) }
        self.names = unique
        self.output = OutputSink(fd: output, names: unique, colour: colour)
        relay = try SignalRelay()
        do {
            // Checked now, so that `stop` can rely on it: without /proc no descendant can be found.
            _ = try ProcessTree.snapshot()
            subreaperWasOn = try Subreaper.set(true)
        } catch {
            relay.end()
            throw error
        }
        #else
        throw .unsupported(platformName)
        #endif
    }

    deinit {
        stop()
    }

    /// The main process of every service still running, by service name.
    public var children: [String: pid_t] {
        services.compactMapValues { $0.termination == nil ? $0.pid : nil }
    }

    /// Starts a service and returns its main process's PID (also its process group's ID).
    public func start(_ spec: ProcessSpec) throws(SupervisorError) -> pid_t {
        guard case .running = state else { throw .finished }
        guard names.contains(spec.name) else { throw .undeclared(spec.name, declared: names) }
        guard services[spec.name] == nil else { throw .alreadyStarted(spec.name) }
        let process = try Spawner.spawn(spec)
        services[spec.name] = Service(pid: process.pid)
        serviceByPID[process.pid] = spec.name
        streams += process.outputs.map { Stream(fd: $0, service: spec.name) }
        return process.pid
    }

    /// Prints a line of the caller's own through the same output as the services' lines, so it
    /// never lands inside one of theirs. A final newline is added when missing.
    public func say(_ line: String) {
        output.say(line)
    }

    /// Shows the services' output until something happens, then returns what did. `onTick` is
    /// called every `tick` (the first time one `tick` after `run` begins); it may start services,
    /// `say` lines, or return `.stop(reason)`. When several things happen at once, a signal comes
    /// first, then exits in the order they were reaped. Calling `run` again after an event
    /// continues, returning events not yet returned first; calling it after `stop` is a
    /// programming error. An error thrown by `onTick` is rethrown with nothing stopped: the caller
    /// still calls `stop`.
    public func run<Reason>(tick: Duration, _ onTick: () throws -> TickDecision<Reason>) rethrows -> Ending<Reason> {
        precondition(tick > .zero, "a tick must be longer than zero")
        guard case .running = state else { preconditionFailure("run after stop") }
        let clock = ContinuousClock()
        var nextTick = clock.now + tick
        while true {
            if let event: Ending<Reason> = takeEvent() { return event }
            pendingSignals += pump(timeout: nextTick - clock.now)
            reap()
            if let event: Ending<Reason> = takeEvent() { return event }
            let now = clock.now
            guard now >= nextTick else { continue }
            nextTick = max(nextTick + tick, now)
            if case .stop(let reason) = try onTick() { return .stopped(reason) }
        }
    }

    private func takeEvent<Reason>() -> Ending<Reason>? {
        if !pendingSignals.isEmpty {
            return .signalled(pendingSignals.removeFirst())
        }
        guard !exits.isEmpty else { return nil }
        let exit = exits.removeFirst()
        return .exited(service: exit.service, exit.termination)
    }

    // MARK: - The loop's parts, shared by run and stop

    /// One `poll` over the signal pipe and every open output pipe: reads what is ready (one read
    /// per pipe, so one chatty service cannot starve the others). Returns the SIGINTs and SIGTERMs
    /// that arrived; SIGCHLD only wakes the loop, which reaps after every wake anyway.
    func pump(timeout: Duration) -> [Int32] {
        var fds = [pollfd(fd: relay.readEnd, events: Int16(POLLIN), revents: 0)]
        fds += streams.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        let ready = poll(&fds, nfds_t(fds.count), Self.milliseconds(timeout))
        guard ready > 0 else { return [] }
        for (index, fd) in fds.enumerated().dropFirst() where fd.revents != 0 {
            _ = readChunk(from: index - 1)
        }
        closeFinishedStreams()
        return fds[0].revents != 0 ? relay.drain().filter { $0 != SIGCHLD } : []
    }

    /// Reaps every child that has ended: services' main processes (recorded, their output read to
    /// this moment first) and re-parented descendants (their status is nobody's business).
    func reap() {
        while true {
            var raw: Int32 = 0
            let pid = waitpid(-1, &raw, WNOHANG)
            if pid < 0 && errno == EINTR { continue }
            guard pid > 0 else { return }
            guard let name = serviceByPID[pid], let termination = Termination(waitStatus: raw) else { continue }
            services[name]?.termination = termination
            drain(service: name)
            if case .running = state { exits.append((name, termination)) }
        }
    }

    /// Reads a service's pipes until they are empty, so what its main process printed before it
    /// ended is shown before the exit is reported. Bounded, since a descendant may still be writing.
    func drain(service name: String) {
        for index in streams.indices where streams[index].service == name {
            var reads = 0
            while reads < 64, readChunk(from: index) == .more { reads += 1 }
        }
        closeFinishedStreams()
    }

    enum ReadResult { case more, empty, ended }

    /// One read from a stream; at its end, the last partial line is shown.
    func readChunk(from index: Int) -> ReadResult {
        guard streams[index].fd >= 0 else { return .ended }
        let output = self.output
        let service = streams[index].service
        let n = readBuffer.withUnsafeMutableBytes { read(streams[index].fd, $0.baseAddress, $0.count) }
        if n > 0 {
            readBuffer.withUnsafeBytes { bytes in
                streams[index].lines.append(UnsafeRawBufferPointer(rebasing: bytes[0..<n])) { output.show($0, from: service) }
            }
            return .more
        }
        if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return .empty }
        // End of file, or an error no retry will fix: either way nothing more comes from this pipe.
        end(stream: index)
        return .ended
    }

    /// Shows a stream's last partial line and closes it.
    func end(stream index: Int) {
        let output = self.output
        let service = streams[index].service
        streams[index].lines.finish { output.show($0, from: service) }
        close(streams[index].fd)
        streams[index].fd = -1
    }

    func closeFinishedStreams() {
        streams.removeAll { $0.fd < 0 }
    }

    /// A poll timeout: rounded up, so a wait never ends just before the moment it waits for.
    static func milliseconds(_ duration: Duration) -> Int32 {
        guard duration > .zero else { return 0 }
        let (seconds, attoseconds) = duration.components
        let total = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: total)
    }

    /// Gives the process its earlier subreaper setting and signal dispositions back.
    func releaseProcess() {
        relay.end()
        _ = try? Subreaper.set(subreaperWasOn)
    }
}
