#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import CStyxyProcess

/// The self-pipe that turns SIGINT, SIGTERM and SIGCHLD into bytes the poll loop reads. The C
/// handler only writes the signal's number; all the work happens in the loop. The relay is
/// process-wide, so one supervisor at a time owns it: from `init` until its `stop` has finished.
final class SignalRelay {
    /// The end the loop polls.
    let readEnd: Int32
    private let writeEnd: Int32
    private var saved = styxy_saved_signals()
    private var active = true

    init() throws(SupervisorError) {
        var fds: [Int32] = [-1, -1]
        let code = styxy_pipe_cloexec(&fds)
        if code != 0 { throw .system(operation: "create the signal pipe", code: code) }
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        readEnd = fds[0]
        writeEnd = fds[1]
        let claimed = styxy_signal_relay_begin(writeEnd, &saved)
        if claimed != 0 {
            close(readEnd)
            close(writeEnd)
            if claimed == EBUSY { throw .alreadyActive }
            throw .system(operation: "install the signal handlers", code: claimed)
        }
    }

    deinit {
        end()
        close(readEnd)
        close(writeEnd)
    }

    /// Puts back the signal dispositions the relay replaced.
    func end() {
        guard active else { return }
        styxy_signal_relay_end(&saved)
        active = false
    }

    /// The signals that arrived since the last call, in order (repeats included).
    func drain() -> [Int32] {
        var signals: [Int32] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if n > 0 {
                signals += buffer[0..<n].map(Int32.init)
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return signals
            }
        }
    }
}
