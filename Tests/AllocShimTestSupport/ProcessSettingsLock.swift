// Shared by the test targets (they run in one process, in parallel).
import Synchronization

/// Zero-fill mode is process-wide: a test that switches it on, and a test whose result depends
/// on it being off (uninitialized memory keeping old bytes), must not overlap. Such tests run
/// their body inside `ProcessSettingsLock.exclusive`.
public enum ProcessSettingsLock {
    private static let lock = Mutex(())

    public static func exclusive<R>(_ body: () throws -> R) throws -> R {
        try lock.withLock { _ throws -> R in try body() }
    }
}
