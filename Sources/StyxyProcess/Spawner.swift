#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import CStyxyProcess

/// A started service's main process and the parent's ends of its output pipes.
struct SpawnedProcess {
    var pid: pid_t
    /// Non-blocking read ends: stdout, then stderr.
    var outputs: [Int32]
}

/// Starts `/bin/sh -c COMMAND` with posix_spawn: its own process group (so one signal reaches
/// the service and the children it did not move elsewhere), stdin from /dev/null (a service that
/// reads its terminal would fight the user's shell for it), stdout and stderr on two pipes (two,
/// so a partial stdout line and a stderr line never merge), default signal dispositions and an
/// empty signal mask (the supervisor ignores SIGPIPE, and ignored signals survive exec), and no
/// descriptor of the supervisor's beyond the three.
enum Spawner {
    static let shell = "/bin/sh"

    static func spawn(_ spec: ProcessSpec) throws(SupervisorError) -> SpawnedProcess {
        var pipes: [(read: Int32, write: Int32)] = []
        defer {
            // The child holds its own copies of the write ends; the parent's would keep the
            // pipes open forever.
            for pipe in pipes { close(pipe.write) }
        }
        do {
            for _ in 0..<2 { pipes.append(try makePipe()) }
            let pid = try launch(spec, stdout: pipes[0].write, stderr: pipes[1].write)
            return SpawnedProcess(pid: pid, outputs: pipes.map(\.read))
        } catch {
            for pipe in pipes { close(pipe.read) }
            throw error
        }
    }

    private static func makePipe() throws(SupervisorError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        let code = styxy_pipe_cloexec(&fds)
        if code != 0 { throw .system(operation: "create an output pipe", code: code) }
        // Only the supervisor's end: a service whose stdout were non-blocking would see EAGAIN.
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        return (fds[0], fds[1])
    }

    private static func launch(_ spec: ProcessSpec, stdout: Int32, stderr: Int32) throws(SupervisorError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // Close-on-exec covers Styxy's own descriptors; this also covers any the host left inheritable.
        _ = styxy_spawn_add_closefrom(&actions, 3)
        let chdir = styxy_spawn_add_chdir(&actions, spec.workingDirectory)
        if chdir != 0 { throw .system(operation: "set the working directory of \(spec.name)", code: chdir) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = [String]([Self.shell, "-c", spec.command]).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = spec.environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        let code = posix_spawn(&pid, Self.shell, &actions, &attributes, argv, envp)
        if code != 0 { throw .spawn(service: spec.name, directory: spec.workingDirectory, code: code) }
        return pid
    }
}
