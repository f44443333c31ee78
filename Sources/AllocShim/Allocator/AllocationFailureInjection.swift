import CAllocShims

/// Makes AllocShim's own C allocation calls fail on purpose, on the calling thread only, so
/// tests can drive every out-of-memory path (in the spirit of swift-system's mocking).
///
/// Covered: the platform allocator (`system`), jemalloc's `mallocx`/`rallocx` (`jemalloc`,
/// `jemalloc-arena`), the allocating entries of `mimalloc` and `tcmalloc`, and the buffers'
/// fast path, which calls the same entries. Releases never fail; Swift's own object
/// allocations and anything calling `malloc` directly are untouched.
///
/// A plan is armed for the duration of a closure and only on the thread that runs it, so
/// tests in parallel never see each other's failures. Work the closure hands to other threads
/// (event loops, tasks) is not affected.
@_spi(Testing)
public enum AllocationFailureInjection {
    /// Which allocations fail.
    public enum Plan: Sendable, Equatable {
        /// Let `n` allocations succeed, fail the one after them, then succeed again.
        case failing(nth: Int)
        /// Let `n` allocations succeed, then fail every one.
        case failingAll(after: Int)
        /// Fail each allocation with probability `perMillion / 1_000_000`, reproducibly for a seed.
        case failingRandomly(perMillion: Int, seed: UInt64)
        /// Fail nothing; only count (to learn how many allocations a piece of code makes).
        case counting
    }

    /// What the plan saw while it was armed.
    public struct Outcome<Value> {
        /// The closure's result, or the error it threw.
        public var result: Result<Value, any Error>
        /// Allocation calls made through AllocShim's C entry points on this thread.
        public var attempts: Int
        /// Of those, how many were failed on purpose.
        public var injectedFailures: Int
    }

    /// Runs `body` with `plan` armed on this thread, then restores what was armed before
    /// (plans nest). Negative counts are treated as zero; `perMillion` is clamped to 0...1_000_000.
    public static func run<Value>(_ plan: Plan, _ body: () throws -> Value) -> Outcome<Value> {
        var armed = CAllocShims_FailureInjection()
        switch plan {
        case .failing(let nth):
            armed.mode = Int32(CAllocShims_inject_nth)
            armed.count = UInt64(max(nth, 0))
        case .failingAll(let after):
            armed.mode = Int32(CAllocShims_inject_after)
            armed.count = UInt64(max(after, 0))
        case .failingRandomly(let perMillion, let seed):
            armed.mode = Int32(CAllocShims_inject_randomly)
            armed.per_million = UInt32(min(max(perMillion, 0), 1_000_000))
            armed.seed = seed
        case .counting:
            armed.mode = Int32(CAllocShims_inject_after)
            armed.count = .max
        }
        var previous = CAllocShims_FailureInjection()
        CAllocShims_failure_injection_exchange(&armed, &previous)
        let result = Result { try body() }
        // The enclosing plan counts what happened inside this one too.
        var seen = CAllocShims_FailureInjection()
        CAllocShims_failure_injection_exchange(nil, &seen)
        previous.attempts &+= seen.attempts
        previous.failures &+= seen.failures
        CAllocShims_failure_injection_exchange(&previous, nil)
        return Outcome(result: result, attempts: Int(clamping: seen.attempts), injectedFailures: Int(clamping: seen.failures))
    }

    /// How many allocations `body` makes through AllocShim's entry points on this thread.
    public static func countAllocations(_ body: () throws -> Void) -> Int {
        run(.counting, body).attempts
    }
}
