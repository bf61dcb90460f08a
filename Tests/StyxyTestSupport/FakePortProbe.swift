import Foundation
import StyxyProbe

import StyxyCore

/// A scripted port probe for engine and command tests. A configured listener shows in snapshots and
/// fails bind tests, as a real one would; `failBind` scripts a port that only the bind test catches
/// (a holder in another network namespace, say). Call counters let tests prove the hybrid check ran.
public final class FakePortProbe: PortProbe, @unchecked Sendable {
    private struct Listener {
        var entry: SocketEntry
        var holder: PortHolder?
    }

    private struct State {
        var listeners: [Listener] = []
        var timeWaitPorts: Set<UInt16> = []
        var bindFailures: [BindKey: BindResult] = [:]
        var ephemeralRange: ClosedRange<UInt16>?
        var uninspectable = 0
        var nextInode: UInt64 = 10_000
        var snapshotCalls = 0
        var bindTestCalls = 0
        var boundPorts: [UInt16] = []
        var holderCalls = 0
    }

    private struct BindKey: Hashable {
        var port: UInt16
        var proto: Transport
    }

    private let lock = NSLock()
    private var state: State

    public init(ephemeralRange: ClosedRange<UInt16>? = 32768...60999) {
        state = State(ephemeralRange: ephemeralRange)
    }

    // MARK: Configuration

    /// Adds a listener and returns its made-up socket inode.
    @discardableResult
    public func addListener(
        port: UInt16, proto: Transport = .tcp, family: AddressFamily = .ipv4,
        address: String? = nil, holder: PortHolder? = nil
    ) -> UInt64 {
        lock.withLock {
            state.nextInode += 1
            let entry = SocketEntry(
                proto: proto, family: family, localAddress: address ?? (family == .ipv4 ? "0.0.0.0" : "::"),
                port: port, state: .listen, uid: holder?.uid ?? 0, inode: state.nextInode)
            state.listeners.append(Listener(entry: entry, holder: holder))
            return entry.inode
        }
    }

    public func removeListeners(port: UInt16, proto: Transport = .tcp) {
        lock.withLock { state.listeners.removeAll { $0.entry.port == port && $0.entry.proto == proto } }
    }

    public func addTimeWait(port: UInt16) {
        lock.withLock { _ = state.timeWaitPorts.insert(port) }
    }

    /// Makes `bindTest` answer `result` for this port, whatever the listeners say; nil clears it.
    public func failBind(port: UInt16, proto: Transport = .tcp, with result: BindResult? = .inUse) {
        lock.withLock { state.bindFailures[BindKey(port: port, proto: proto)] = result }
    }

    public func setEphemeralRange(_ range: ClosedRange<UInt16>?) {
        lock.withLock { state.ephemeralRange = range }
    }

    /// How many processes `lookupHolders` claims it could not inspect.
    public func setUninspectable(_ count: Int) {
        lock.withLock { state.uninspectable = count }
    }

    // MARK: Observation

    public var snapshotCalls: Int { lock.withLock { state.snapshotCalls } }
    public var bindTestCalls: Int { lock.withLock { state.bindTestCalls } }
    /// Every port passed to `bindTest`, in call order.
    public var bindTestPorts: [UInt16] { lock.withLock { state.boundPorts } }
    public var holderLookupCalls: Int { lock.withLock { state.holderCalls } }

    // MARK: PortProbe

    public func snapshot(protocols: Set<Transport>) throws -> PortSnapshot {
        lock.withLock {
            state.snapshotCalls += 1
            var entries = state.listeners.map(\.entry).filter { protocols.contains($0.proto) }
            if protocols.contains(.tcp) {
                entries += state.timeWaitPorts.sorted().map {
                    SocketEntry(
                        proto: .tcp, family: .ipv4, localAddress: "127.0.0.1", port: $0, state: .timeWait,
                        uid: 0, inode: 0)
                }
            }
            return PortSnapshot(entries: entries)
        }
    }

    public func bindTest(port: UInt16, proto: Transport) -> BindResult {
        lock.withLock {
            state.bindTestCalls += 1
            state.boundPorts.append(port)
            if let scripted = state.bindFailures[BindKey(port: port, proto: proto)] { return scripted }
            let held = state.listeners.contains { $0.entry.port == port && $0.entry.proto == proto }
            return held ? .inUse : .free
        }
    }

    public func ephemeralRange() -> ClosedRange<UInt16>? {
        lock.withLock { state.ephemeralRange }
    }

    public func lookupHolders(ofInodes inodes: Set<UInt64>) -> HolderLookup {
        lock.withLock {
            state.holderCalls += 1
            var result = HolderLookup(uninspectable: state.uninspectable)
            for listener in state.listeners where inodes.contains(listener.entry.inode) {
                if let holder = listener.holder { result.holders[listener.entry.inode, default: []].append(holder) }
            }
            return result
        }
    }
}
