import CAllocShims

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Returns free memory to the operating system on whichever allocator serves this process's
/// `malloc` (see ``ProcessAllocator``), once or periodically.
///
/// The call per allocator: glibc `malloc_trim(0)`, jemalloc `mallctl("arena.<all>.purge")`,
/// mimalloc `mi_collect(true)`, tcmalloc `MallocExtension_ReleaseFreeMemory()`, Scudo
/// `mallopt(M_PURGE, 0)`. Each walks the allocator's free memory and `madvise`s it away, so a
/// call costs from microseconds to milliseconds and takes allocator locks: call it after a burst
/// or every few seconds, not per request (docs/service.md has measured costs).
public enum FreeMemoryRelease {
    /// What one release did.
    public struct Outcome: Sendable, Hashable {
        /// The allocator that was asked, or `nil` when the process allocator has no known
        /// release call (nothing was called).
        public let allocator: ProcessAllocator.Family?
        /// Resident set size just before the call, in bytes (0 where unknown).
        public let residentBytesBefore: Int
        /// Resident set size just after the call, in bytes (0 where unknown).
        public let residentBytesAfter: Int
        /// Wall-clock time the call took, in nanoseconds.
        public let durationNanoseconds: UInt64

        /// Bytes the resident set shrank by (negative if it grew meanwhile).
        public var releasedBytes: Int { residentBytesBefore - residentBytesAfter }
    }

    /// Asks the process allocator to return its free memory to the OS now.
    public static func releaseNow() -> Outcome {
        let before = ProcessMemory.residentBytes
        let start = monotonicNanoseconds()
        var status: Int32 = 0
        let kind = CAllocShims_process_allocator_release_free_memory(&status)
        let duration = monotonicNanoseconds() &- start
        let after = ProcessMemory.residentBytes
        let family = ProcessAllocator.Family(kind)
        return Outcome(
            allocator: family == .unknown ? nil : family, residentBytesBefore: before,
            residentBytesAfter: after, durationNanoseconds: duration)
    }

    /// Releases free memory every `interval` until the calling task is cancelled, then returns.
    ///
    /// Made to be a ServiceLifecycle service's `run()` body (or any task in a task group)
    /// without AllocShim depending on ServiceLifecycle: cancellation — graceful shutdown
    /// included — ends it normally.
    ///
    /// - Parameters:
    ///   - interval: time between releases; must be positive. Any positive `Duration` is
    ///     accepted, `.seconds(Int64.max)` included (it is slept a day at a time).
    ///   - onRelease: called after each release with its outcome (for logging or metrics).
    /// - Throws: ``FreeMemoryReleaseError/nonPositiveInterval(_:)`` for an interval ≤ 0.
    public static func runPeriodically(
        every interval: Duration,
        onRelease: @Sendable (Outcome) -> Void = { _ in }
    ) async throws(FreeMemoryReleaseError) {
        guard interval > .zero else { throw .nonPositiveInterval(interval) }
        while !Task.isCancelled {
            do {
                try await BoundedSleep.sleep(for: interval)
            } catch {
                return  // cancelled while sleeping: the normal way to stop
            }
            onRelease(releaseNow())
        }
    }

    private static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}

/// Sleeping for any positive `Duration`, however long, without trapping.
///
/// `Task.sleep(for:)` turns `now + interval` into whole seconds as an `Int64` and stops the
/// process when that overflows (`.seconds(Int64.max)`: "fatal error" in `Duration.components`,
/// issue 21 item 8). Here a long interval is slept in steps of at most ``longestStep``, so the
/// deadline of each step is near `now`; the steps add up to the interval (each step sleeps at
/// least its length), and short intervals are one ordinary sleep.
package enum BoundedSleep {
    /// One day: far below where any deadline could overflow, far above any real period.
    package static let longestStep: Duration = .seconds(86_400)

    /// Sleeps `interval` (nothing for an interval ≤ 0); throws `CancellationError` when the
    /// task is cancelled meanwhile.
    package static func sleep(for interval: Duration) async throws {
        var remaining = interval
        while remaining > .zero {
            let step = min(remaining, longestStep)
            try await Task.sleep(for: step)
            remaining -= step
        }
    }
}

/// A bad argument to ``FreeMemoryRelease``.
public enum FreeMemoryReleaseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The period of ``FreeMemoryRelease/runPeriodically(every:onRelease:)`` was zero or negative.
    case nonPositiveInterval(Duration)

    /// One line naming the bad value and what is allowed.
    public var description: String {
        switch self {
        case .nonPositiveInterval(let interval):
            return "release interval \(interval) is not allowed: it must be greater than zero"
        }
    }
}
