#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs another program and reads what it prints, for what only that program knows. Never on
/// the resolve path.
package enum ExternalCommand {
    /// Runs `command` (its program found on the PATH of `environment`, or of this process when
    /// `environment` is nil) with stdin and stderr on /dev/null; its exit status and standard
    /// output, or nil when it could not be started.
    package static func run(_ command: [String], environment: [String: String]? = nil) -> (Int32, String)? {
        var fds: [Int32] = [0, 0]
        guard fds.withUnsafeMutableBufferPointer({ pipe($0.baseAddress!) }) == 0 else { return nil }
        defer { close(fds[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { envp?.forEach { free($0) } }
        var pid = pid_t()
        let started: Int32
        if let envp {
            // posix_spawnp searches the caller's PATH; the given environment's PATH must decide.
            guard let program = executable(command[0], path: environment?["PATH"] ?? "") else { close(fds[1]); return nil }
            started = posix_spawn(&pid, program, &actions, nil, argv, envp)
        } else {
            started = posix_spawnp(&pid, command[0], &actions, nil, argv, environ)
        }
        close(fds[1])
        guard started == 0 else { return nil }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if count > 0 { output += buffer[..<count]; continue }
            if count < 0 && errno == EINTR { continue }
            break
        }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let exited = (raw & 0x7f) == 0
        return (exited ? (raw >> 8) & 0xff : 128 + (raw & 0x7f), String(decoding: output, as: UTF8.self))
    }

    /// The first executable `name` in the folders of `path`, as a shell would find it.
    static func executable(_ name: String, path: String) -> String? {
        for folder in path.split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = "\(folder)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

/// Asks git itself, for what only git knows (which files it ignores, where a repository keeps its
/// hooks): its rules (nested ignore files, `core.hooksPath` at any config level, worktrees) are
/// git's to interpret. Never on the resolve path.
package enum GitCommand {
    /// Runs `git -C FOLDER ARGUMENTS`; see `ExternalCommand.run`. `core.fsmonitor` names a
    /// program git would start, so a project's own config must not choose one for Styxy.
    package static func run(_ arguments: [String], in folder: String, environment: [String: String]? = nil) -> (Int32, String)? {
        ExternalCommand.run(["git", "-c", "core.fsmonitor=false", "-C", folder] + arguments, environment: environment)
    }
}
