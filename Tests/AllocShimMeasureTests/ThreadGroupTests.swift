@testable import AllocShimMeasure
import AllocShim
import Dispatch
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Thread group")
struct ThreadGroupTests {
    /// A starter that starts real threads but fails the `failing`-th start with EAGAIN, as
    /// pthread_create does when threads or memory run out.
    final class FailingStarter: Sendable {
        let failing: Int
        let calls = Atomic<Int>(0)
        init(failing: Int) { self.failing = failing }

        func start(_ body: @escaping @Sendable () -> Void) -> Result<ThreadGroup.StartedThread, ThreadGroup.StartFailure> {
            let call = calls.wrappingAdd(1, ordering: .relaxed).newValue
            if call == failing { return .failure(ThreadGroup.StartFailure(code: EAGAIN)) }
            return ThreadGroup.posixStart(body)
        }
    }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    /// Runs `body` on another thread and waits at most `seconds`: a hang fails the test
    /// instead of stalling the suite.
    func withinSeconds<T: Sendable>(_ seconds: Int, _ body: @escaping @Sendable () -> T) -> T? {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<T?>(nil)
        DispatchQueue.global().async {
            let value = body()
            result.withLock { $0 = value }
            done.signal()
        }
        guard done.wait(timeout: .now() + .seconds(seconds)) == .success else { return nil }
        return result.withLock { $0 }
    }

    @Test("every thread runs the body once")
    func runsAll() throws {
        let counter = Counter()
        _ = try ThreadGroup.run(count: 8) { _ in counter.value.wrappingAdd(1, ordering: .relaxed) }
        #expect(counter.value.load(ordering: .relaxed) == 8)
    }

    @Test("a failed thread start is an error naming the thread, not a hang", arguments: [1, 4, 16])
    func failedStart(_ failing: Int) throws {
        let starter = FailingStarter(failing: failing)
        let counter = Counter()
        let outcome = withinSeconds(10) { () -> String? in
            do {
                _ = try ThreadGroup.run(count: 16, starter: starter.start) { _ in counter.value.wrappingAdd(1, ordering: .relaxed) }
                return nil
            } catch {
                return "\(error)"
            }
        }
        let message = try #require(outcome, "ThreadGroup.run did not return within 10 s")
        #expect(message == "could not start thread \(failing) of 16: pthread_create failed with EAGAIN (Resource temporarily unavailable); try fewer --threads")
        // The threads started before the failure were joined without running the body.
        #expect(counter.value.load(ordering: .relaxed) == 0)
    }

    @Test("the thread benchmark reports a failed start as an error")
    func benchmarkReportsFailure() throws {
        let starter = FailingStarter(failing: 3)
        let outcome = withinSeconds(10) { () -> String? in
            do {
                _ = try ThreadScaling.measure(SystemAllocator.shared, threads: 4, size: 64, operations: 1000, starter: starter.start)
                return nil
            } catch {
                return "\(error)"
            }
        }
        let message = try #require(outcome, "the benchmark did not return within 10 s")
        #expect(message?.hasPrefix("could not start thread 3 of 4") == true)
    }

    @Test("thread counts outside 1...1024 are typed errors naming the value", arguments: [0, -1, 1025, 100_000])
    func bounds(_ threads: Int) {
        #expect(throws: MeasureError.invalidArgument("invalid thread count \(threads): allowed are 1 to 1024")) {
            try ThreadScaling.validate(threads: threads)
        }
    }
}
