import StyxyCore
import StyxyManifest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
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
            throw StyxyError(.ledgerIO, "cannot open the lock file: \(FileIO.errorText())", file: path,
                             hint: "the state folder must be on a writable file system; set STYXY_HOME to another folder")
        }
        // Callers pass checked durations; this keeps a NaN or an infinity from any other caller
        // from turning the wait into a hang or the message into a trap.
        let timeout = timeout >= 0 ? min(timeout, DurationText.longestLockWait) : 0
        let deadline = Monotonic.seconds() + timeout
        var pause: UInt32 = 1_000
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                close(fd)
                throw StyxyError(.ledgerIO, "cannot lock the ledger: \(FileIO.errorText(code))", file: path)
            }
            if Monotonic.seconds() >= deadline {
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

    /// Who holds the lock. The kernel's own table (/proc/locks, by the lock file's inode) is the
    /// truth; the PID Styxy writes into the file can be stale, or missing when another tool
    /// (`flock(1)`, a backup job) holds it.
    private static func holderDescription(_ fd: Int32) -> String {
        #if os(Linux)
        var info = stat()
        let pid = fstat(fd, &info) == 0
            ? lockingProcess(device: UInt64(truncatingIfNeeded: info.st_dev), inode: UInt64(info.st_ino)) : nil
        guard let pid else { return "another process (not named in /proc/locks)" }
        if let command = try? FileIO.readSystem("/proc/\(pid)/cmdline"), !command.isEmpty {
            let text = String(decoding: command.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self).trimmingNewlines
            return "PID \(pid) (\(PrintableText.escaped(text)))"
        }
        return "PID \(pid)"
        #else
        // Only Linux's /proc names the holder of a flock; the PID in the file may be stale.
        return "another process"
        #endif
    }

    /// The PID of the first flock on that file in /proc/locks, whose lines read
    /// `1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234567 0 EOF` (device numbers in hex).
    static func lockingProcess(device: UInt64, inode: UInt64, locks: String? = nil) -> Int32? {
        guard let table = locks ?? (try? FileIO.readSystemString("/proc/locks")) ?? nil else { return nil }
        let major = (device >> 8) & 0xfff | ((device >> 32) & ~0xfff)
        let minor = (device & 0xff) | ((device >> 12) & ~0xff)
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "FLOCK", !fields[0].hasSuffix("->") else { continue }
            let place = fields[5].split(separator: ":")
            guard place.count == 3, UInt64(place[2]) == inode,
                  UInt64(place[0], radix: 16) == major, UInt64(place[1], radix: 16) == minor
            else { continue }
            return Int32(fields[4])
        }
        return nil
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
