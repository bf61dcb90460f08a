#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import StyxyCore

/// Every process of the machine at one instant, linked to its parent: one pass over `/proc/*/stat`.
/// The supervisor stops with it, and the caller uses it for readiness ("a process of the service's
/// own tree listens on its port"). Since the supervisor is the child subreaper, a service's
/// descendants that daemonise are re-parented to the supervisor, not to init: they stay in the
/// supervisor's tree (though no longer under their service's main process).
public struct ProcessTree: Sendable {
    public struct Entry: Sendable, Equatable {
        public var pid: pid_t
        public var parent: pid_t
        /// The process group: a service's main process leads its own, and its children join it
        /// unless they call `setsid` or `setpgid`.
        public var group: pid_t
        /// `R`, `S`, `D`, `Z`, `T`, ... as in `ps`; a zombie (`Z`) has ended and awaits its parent.
        public var state: Character

        public var isZombie: Bool { state == "Z" }

        public init(pid: pid_t, parent: pid_t, group: pid_t, state: Character) {
            self.pid = pid
            self.parent = parent
            self.group = group
            self.state = state
        }
    }

    public private(set) var entries: [pid_t: Entry]
    private var children: [pid_t: [pid_t]]

    public init(_ entries: [Entry]) {
        self.entries = [:]
        children = [:]
        for entry in entries {
            self.entries[entry.pid] = entry
            children[entry.parent, default: []].append(entry.pid)
        }
    }

    /// Reads `procRoot` (normally `/proc`). A process that ends during the pass is left out;
    /// a `stat` that cannot be read or parsed is too, since it describes no live process.
    public static func snapshot(procRoot: String = "/proc") throws(SupervisorError) -> ProcessTree {
        #if os(Linux)
        var entries: [Entry] = []
        for name in FileIO.list(procRoot) {
            guard let pid = pid_t(name), pid > 0,
                  let bytes = (try? FileIO.readSystem(procRoot + "/" + name + "/stat")) ?? nil,
                  let entry = parseStat(bytes, pid: pid)
            else { continue }
            entries.append(entry)
        }
        guard !entries.isEmpty else {
            throw .system(operation: "read the process list in \(procRoot)", code: ENOENT)
        }
        return ProcessTree(entries)
        #else
        throw .unsupported(platformName)
        #endif
    }

    /// `pid` and every process below it; empty when `pid` is not in the snapshot (it has ended,
    /// and its number could already belong to someone else).
    public func descendants(of pid: pid_t) -> Set<pid_t> {
        guard entries[pid] != nil else { return [] }
        var found: Set<pid_t> = [pid]
        var queue = [pid]
        while let next = queue.popLast() {
            for child in children[next] ?? [] where found.insert(child).inserted {
                queue.append(child)
            }
        }
        return found
    }

    public func parent(of pid: pid_t) -> pid_t? { entries[pid]?.parent }

    /// The processes whose parent is `pid`.
    public func children(of pid: pid_t) -> [pid_t] { children[pid] ?? [] }

    /// One line of `/proc/PID/stat`: `PID (COMM) STATE PPID PGRP ...`. COMM may hold spaces and
    /// parentheses, so the fields are counted from the last `)`.
    static func parseStat(_ bytes: [UInt8], pid: pid_t) -> Entry? {
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "), maxSplits: 4)
        guard fields.count >= 4, fields[0].count == 1,
              let parent = number(fields[1]), let group = number(fields[2])
        else { return nil }
        return Entry(pid: pid, parent: parent, group: group, state: Character(Unicode.Scalar(fields[0].first!)))
    }

    private static func number(_ digits: ArraySlice<UInt8>) -> pid_t? {
        guard !digits.isEmpty, digits.count <= 10 else { return nil }
        var value: Int64 = 0
        for byte in digits {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
        }
        return value <= Int64(pid_t.max) ? pid_t(value) : nil
    }
}

/// What this machine is, for the unsupported-platform message.
var platformName: String {
    #if os(macOS)
    "macOS"
    #elseif os(Windows)
    "Windows"
    #else
    "this operating system"
    #endif
}
