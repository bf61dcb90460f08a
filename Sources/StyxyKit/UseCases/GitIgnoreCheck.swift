#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StyxyCore

/// Which generated files git would not ignore. They hold this machine's ports, so committing one
/// hands every teammate the author's ports. Git itself answers (`git check-ignore`), because
/// `.gitignore` rules (nested files, negations, global excludes) are git's to interpret. Used by
/// `init` only, never on the resolve path. Nil when git is missing or the folder is not in a
/// work tree: then there is nothing to say.
package enum GitIgnoreCheck {
    package static func unignored(_ paths: [String], in folder: String) -> [String]? {
        guard !paths.isEmpty else { return [] }
        // core.fsmonitor names a program git would start; a project folder must not choose one for init.
        guard let (status, output) = run(["git", "-c", "core.fsmonitor=false", "-C", folder, "check-ignore", "--"] + paths) else { return nil }
        // 0: some are ignored; 1: none are; anything else (128: not a repository) says nothing.
        guard status == 0 || status == 1 else { return nil }
        let ignored = Set(output.split(separator: "\n").map(String.init))
        return paths.filter { !ignored.contains($0) }
    }

    /// Runs `arguments` (found on PATH) with stdin and stderr closed to /dev/null; its exit status
    /// and standard output, or nil when it could not be started.
    private static func run(_ arguments: [String]) -> (Int32, String)? {
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
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let started = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
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
}
