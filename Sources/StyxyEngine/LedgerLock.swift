import StyxyCore

#if canImport(Glibc)
import Glibc
#endif

/// The exclusive `flock` on `ledger.lock` that every ledger change holds.
///
/// The kernel drops a flock when its holder dies, so a killed command never leaves the ledger
/// locked. The holder writes its PID into the lock file so that a waiter that gives up can name it.
public final class LedgerLock: @unchecked Sendable {
    public static let defaultTimeout = 10.0

    private var descriptor: Int32
    public let path: String

    public var isHeld: Bool { descriptor >= 0 }

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { release() }

    public static func acquire(path: String, timeout: Double) throws(StyxyError) -> LedgerLock {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd < 0 {
            throw StyxyError(.ledgerIO, "cannot open the lock file: \(FileIO.errorText())", file: path)
        }
        let deadline = monotonicSeconds() + max(0, timeout)
        var pause: UInt32 = 1_000
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                close(fd)
                throw StyxyError(.ledgerIO, "cannot lock the ledger: \(FileIO.errorText(code))", file: path)
            }
            if monotonicSeconds() >= deadline {
                let holder = holderDescription(fd)
                close(fd)
                throw StyxyError(.lockTimeout, "the ledger lock is still held by \(holder) after \(formatSeconds(timeout))",
                                 file: path, hint: "wait for it to finish, or stop it; raise the wait with STYXY_LOCK_TIMEOUT or lock_timeout in the configuration")
            }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
        let pid = Array("\(getpid())\n".utf8)
        ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return LedgerLock(descriptor: fd, path: path)
    }

    public func release() {
        guard descriptor >= 0 else { return }
        // Closing drops the flock; the PID is left behind and means nothing once unlocked.
        close(descriptor)
        descriptor = -1
    }

    private static func holderDescription(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0, let pid = Int32(String(decoding: buffer[0..<n], as: UTF8.self).trimmingNewlines) else {
            return "another styxy process"
        }
        if let command = try? FileIO.read("/proc/\(pid)/cmdline"), !command.isEmpty {
            let text = String(decoding: command.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).trimmingNewlines
            return "PID \(pid) (\(text))"
        }
        return "PID \(pid)"
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    static func formatSeconds(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
    }
}

extension String {
    var trimmingNewlines: String {
        var text = Substring(self)
        while let last = text.last, last == "\n" || last == " " || last == "\r" { text = text.dropLast() }
        return String(text)
    }
}
