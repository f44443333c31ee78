import Foundation

/// A value behind `NSLock` (a pthread mutex) for tests that share state between threads.
/// Not `Synchronization.Mutex`: ThreadSanitizer cannot see its contended path and reports
/// false races (see docs/design.md, "Sanitizers").
public final class TestLocked<Value>: @unchecked Sendable {
    // @unchecked: `value` is only touched while `lock` is held.
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
