// libFuzzer through `-sanitize=fuzzer` is a Linux toolchain feature, so this is Linux only.
import Glibc
import StyxyCore

/// What the fuzz targets hold every outcome to. A thrown `StyxyError` is the expected answer to
/// invalid input, but only in the documented shape; anything else aborts, which libFuzzer saves
/// as a crash with the input that caused it.
public enum Oracle {
    /// Every diagnostic renders as one line without control characters, so `file:line:col: error:`
    /// parsers and terminals see what they expect (docs/fuzzing.md, finding 5). `STYXY_FUZZ_ONE_LINE=0`
    /// turns the check off, should a regression hide crashes behind it.
    static let oneLineDiagnostics = getenv("STYXY_FUZZ_ONE_LINE").map { String(cString: $0) != "0" } ?? true

    /// Invalid input fails with exit status 65 and at least one diagnostic at a 1-based place.
    public static func checkRejection(_ error: StyxyError) {
        require(error.exitStatus == .invalidInput, "exit status \(error.exitStatus.rawValue) for invalid input", error)
        require(!error.diagnostics.isEmpty, "a rejection without diagnostics", error)
        for diagnostic in error.diagnostics {
            if let location = diagnostic.location {
                require(location.line >= 1 && location.column >= 1, "a position below 1:1 (\(location.line):\(location.column))", error)
            }
            let line = diagnostic.rendered
            if oneLineDiagnostics {
                require(!line.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }, "a control character in a diagnostic", error)
            }
        }
    }

    /// Aborts with `what` when `condition` is false; `context` is printed for the report.
    public static func require(_ condition: Bool, _ what: @autoclosure () -> String, _ context: @autoclosure () -> Any = "") {
        guard !condition else { return }
        say("fuzz invariant broken: \(what())\n\(context())\n")
        abort()
    }

    /// Straight to file descriptor 2: Swift 6 refuses the C `stderr` global.
    static func say(_ text: String) {
        var bytes = Array(text.utf8)
        _ = write(2, &bytes, bytes.count)
    }
}

/// A private folder made once per process: a canonical project root, and a place for files a
/// target must hand over by path.
public struct Workspace: Sendable {
    public let root: String

    public init(_ label: String) {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/styxy-fuzz-\(label)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template), let real = realpath(made, nil) else {
            Oracle.say("cannot create the fuzz workspace: \(String(cString: strerror(errno)))\n")
            exit(2)
        }
        root = String(cString: real)
        free(real)
    }

    /// Replaces `name` in the workspace with `bytes`; the path written.
    public func store(_ bytes: UnsafeBufferPointer<UInt8>, as name: String) -> String {
        let path = root + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        Oracle.require(fd >= 0, "cannot open \(path): \(String(cString: strerror(errno)))")
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0, errno == EINTR { continue }
            Oracle.require(written > 0, "cannot write \(path): \(String(cString: strerror(errno)))")
            offset += written
        }
        return path
    }
}
