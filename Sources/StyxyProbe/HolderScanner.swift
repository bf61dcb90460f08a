#if os(Linux)
internal import Glibc
import StyxyCore

/// Finds socket owners by reading the `socket:[INODE]` links under `/proc/PID/fd`, one pass over all
/// processes for all inodes.
struct HolderScanner {
    let procRoot: String

    /// Stops once every inode has an owner; processes sharing a socket (forked workers) are all
    /// reported only if they come before that point.
    func lookup(_ inodes: Set<UInt64>) -> HolderLookup {
        var wanted = inodes
        wanted.remove(0)  // TIME_WAIT sockets belong to no process.
        var result = HolderLookup()
        guard !wanted.isEmpty, let proc = opendir(procRoot) else { return result }
        defer { closedir(proc) }
        var missing = wanted
        while !missing.isEmpty, let entry = readdir(proc) {
            guard let pid = Self.pid(entry) else { continue }
            switch sockets(of: pid, procFD: dirfd(proc), among: wanted) {
            case .gone:
                continue
            case .unreadable:
                result.uninspectable += 1
            case .matched(let found):
                guard !found.isEmpty else { continue }
                let holder = describe(pid)
                for inode in found {
                    result.holders[inode, default: []].append(holder)
                    missing.remove(inode)
                }
            }
        }
        return result
    }

    private enum FDScan {
        case gone, unreadable, matched([UInt64])
    }

    private func sockets(of pid: Int32, procFD: Int32, among wanted: Set<UInt64>) -> FDScan {
        let fdDir = openat(procFD, "\(pid)/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        // ENOENT: the process exited during the scan, which is not a lack of permission.
        if fdDir < 0 { return errno == ENOENT ? .gone : .unreadable }
        guard let dir = fdopendir(fdDir) else {
            close(fdDir)
            return .unreadable
        }
        defer { closedir(dir) }
        var found: [UInt64] = []
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { link in
            guard let target = link.baseAddress else { return }
            while let entry = readdir(dir) {
                let length = withUnsafePointer(to: &entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) {
                        readlinkat(fdDir, $0, target, link.count)
                    }
                }
                guard length > 0, let inode = Self.socketInode(UnsafeBufferPointer(rebasing: link[..<length]))
                else { continue }
                if wanted.contains(inode) { found.append(inode) }
            }
        }
        return .matched(found)
    }

    private func describe(_ pid: Int32) -> PortHolder {
        let base = "\(procRoot)/\(pid)"
        var command = Self.split((try? FileIO.readSystem(base + "/cmdline")) ?? nil).joined(separator: " ")
        if command.isEmpty, let comm = (try? FileIO.readSystemString(base + "/comm")) ?? nil {
            command = comm.hasSuffix("\n") ? String(comm.dropLast()) : comm
        }
        var environment: [String: String] = [:]
        for variable in Self.split((try? FileIO.readSystem(base + "/environ")) ?? nil) where variable.hasPrefix("STYXY_") {
            guard let equals = variable.firstIndex(of: "=") else { continue }
            environment[String(variable[..<equals])] = String(variable[variable.index(after: equals)...])
        }
        var info = stat()
        let uid = stat(base, &info) == 0 ? info.st_uid : 0
        return PortHolder(
            pid: pid, command: command, workingDirectory: Self.readLink(base + "/cwd"),
            styxyEnvironment: environment, uid: uid)
    }

    /// `socket:[12345]` → 12345; anything else (files, pipes, a truncated link) → nil.
    private static func socketInode(_ link: UnsafeBufferPointer<CChar>) -> UInt64? {
        let prefix = Array("socket:[".utf8)
        guard link.count > prefix.count + 1, link.last == CChar(UInt8(ascii: "]")) else { return nil }
        for (i, byte) in prefix.enumerated() where UInt8(bitPattern: link[i]) != byte { return nil }
        var value: UInt64 = 0
        for c in link[prefix.count..<(link.count - 1)] {
            guard let digit = ASCII.digitValue(UInt8(bitPattern: c)) else { return nil }
            value = value &* 10 &+ UInt64(digit)
        }
        return value
    }

    private static func pid(_ entry: UnsafeMutablePointer<dirent>) -> Int32? {
        withUnsafePointer(to: &entry.pointee.d_name) {
            $0.withMemoryRebound(to: UInt8.self, capacity: 256) { name -> Int32? in
                var value: Int32 = 0
                var i = 0
                while name[i] != 0 {
                    guard let digit = ASCII.digitValue(name[i]), i < 9 else { return nil }
                    value = value * 10 + Int32(digit)
                    i += 1
                }
                return i > 0 ? value : nil
            }
        }
    }

    private static func readLink(_ path: String) -> String? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(PATH_MAX)) { buffer in
            guard let start = buffer.baseAddress else { return nil }
            let length = readlink(path, start, buffer.count)
            guard length >= 0 else { return nil }
            return String(decoding: UnsafeRawBufferPointer(start: start, count: length), as: UTF8.self)
        }
    }

    /// NUL-separated strings (`cmdline`, `environ`); nil or empty input gives none.
    private static func split(_ bytes: [UInt8]?) -> [String] {
        guard let bytes else { return [] }
        return bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }
}
#endif
