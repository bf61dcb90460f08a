#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Supervisor {
    /// Ends every process the services started and returns once none is left.
    ///
    /// SIGTERM (and SIGCONT, so a stopped process can act on it) goes to each service's process
    /// group and to every other descendant of this process, which as the child subreaper includes
    /// the ones that called `setsid` or daemonised. What is still alive `grace` later gets SIGKILL.
    /// A process that appears meanwhile (forked by a service that is shutting down) is signalled
    /// the same way. Everything is reaped, so no zombie is left either. Output printed while
    /// stopping is still shown, and the last partial line of each pipe is flushed.
    ///
    /// A SIGINT or SIGTERM that reaches the supervisor after `run` returned its event (a second
    /// Ctrl-C) ends the grace period at once; the report names it. Calling `stop` again returns
    /// the first call's report.
    @discardableResult
    public func stop(grace: Duration = Supervisor.defaultGrace) -> StopReport {
        if case .stopped(let report) = state { return report }
        let clock = ContinuousClock()
        var killAt = clock.now + max(grace, .zero)
        var report = StopReport()
        var terminated = Set<pid_t>()  // processes, and groups as negative numbers, sent SIGTERM
        func interrupted(by signals: [Int32]) {
            guard let signal = signals.first else { return }
            report.interruptedBy = report.interruptedBy ?? signal
            killAt = min(killAt, clock.now)
        }
        interrupted(by: pendingSignals)
        pendingSignals = []
        while true {
            reap()
            let survey = survey()
            if survey.remaining.isEmpty { break }
            let now = clock.now
            if now < killAt {
                for target in survey.targets where terminated.insert(target).inserted {
                    kill(target, SIGTERM)
                    kill(target, SIGCONT)
                }
            } else {
                for target in survey.targets { kill(target, SIGKILL) }
                report.killed.formUnion(survey.living)
                if now >= killAt + Self.killPatience {
                    report.survivors = survey.living
                    break
                }
            }
            // Wake at a child's end or a signal; otherwise look again soon for new processes.
            let untilKill = killAt - now
            interrupted(by: pump(timeout: untilKill > .zero ? min(.milliseconds(50), untilKill) : .milliseconds(50)))
        }
        finishStreams()
        releaseProcess()
        state = .stopped(report)
        return report
    }

    /// What is left to stop: every descendant of this process (`remaining`, zombies included, since
    /// they still need reaping), the ones alive, and what to signal: the living, and the services'
    /// process groups that still have a living member (a group whose members have all ended is
    /// left alone: its number may since lead someone else's group). Without a readable `/proc`,
    /// which `init` checked, the groups are all that can be found.
    private func survey() -> (remaining: Set<pid_t>, living: Set<pid_t>, targets: Set<pid_t>) {
        let groups = Set(services.values.map(\.pid))
        guard let tree = try? ProcessTree.snapshot() else {
            let alive = groups.filter { kill(-$0, 0) == 0 || errno == EPERM }
            return (alive, alive, Set(alive.map { -$0 }))
        }
        let me = getpid()
        let remaining = tree.descendants(of: me).subtracting([me])
        let living = remaining.filter { tree.entries[$0]?.isZombie == false }
        let livingGroups = Set(living.compactMap { tree.entries[$0]?.group }).intersection(groups)
        return (remaining, living, living.union(livingGroups.map { -$0 }))
    }

    /// Every process is gone, so each pipe holds its last bytes and then its end (unless a process
    /// outside the tree kept a copy: then what is there is shown and the pipe is closed anyway).
    private func finishStreams() {
        for index in streams.indices {
            var reads = 0
            while reads < 1024, readChunk(from: index) == .more { reads += 1 }
            if streams[index].fd >= 0 { end(stream: index) }
        }
        closeFinishedStreams()
    }
}
