import Foundation

/// A settable clock for the engine: seconds since the epoch, starting at a fixed instant, so
/// expiry and refresh tests never wait for real time to pass.
public final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64

    public init(_ start: Int64 = 1_800_000_000) { value = start }

    public var now: Int64 {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }

    public func advance(_ seconds: Int64) { lock.withLock { value += seconds } }

    /// What the engine takes as its clock.
    public var function: @Sendable () -> Int64 { { [self] in self.now } }
}
