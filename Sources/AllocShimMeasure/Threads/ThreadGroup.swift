import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a body on N threads released together, and notices when a thread cannot be started.
///
/// Foundation's `Thread.start()` ignores a failed `pthread_create`, so a benchmark waiting for
/// that thread waits forever (`allocshim threads --threads 100000` hung). Here every start is
/// checked: when one fails, the threads already started are released with "stop", joined, and
/// the failure is thrown, naming the thread and the system's reason.
enum ThreadGroup {
    /// A started thread: joining waits for its end.
    struct StartedThread {
        let join: () -> Void
    }

    /// Starts a thread running `body`, or returns the `errno`-style code of the failure.
    typealias Starter = (_ body: @escaping @Sendable () -> Void) -> Result<StartedThread, StartFailure>

    /// Why a thread did not start (the code `pthread_create` returned).
    struct StartFailure: Error {
        let code: Int32
    }

    /// Stack size of the benchmark's threads: they run a short loop, and a small stack keeps
    /// a thousand threads well inside the address space.
    static let stackSize = 256 * 1024

    /// Starts `count` threads, releases them together, waits for all, and returns the
    /// nanoseconds from the release to the last thread's end.
    static func run(count: Int, starter: Starter = posixStart, body: @escaping @Sendable (_ index: Int) -> Void) throws(MeasureError) -> UInt64 {
        let gate = DispatchSemaphore(value: 0)
        let abandoned = Flag()
        var started: [StartedThread] = []
        started.reserveCapacity(count)
        for index in 0..<count {
            switch starter({
                gate.wait()
                if !abandoned.value.load(ordering: .acquiring) { body(index) }
            }) {
            case .success(let thread):
                started.append(thread)
            case .failure(let failure):
                abandoned.value.store(true, ordering: .releasing)
                for _ in started { gate.signal() }
                for thread in started { thread.join() }
                throw .failed("could not start thread \(index + 1) of \(count): \(describe(failure.code)); try fewer --threads")
            }
        }
        let begin = monotonicNanoseconds()
        for _ in started { gate.signal() }
        for thread in started { thread.join() }
        return monotonicNanoseconds() - begin
    }

    /// `pthread_create` with ``stackSize``; its result is checked, never ignored.
    static func posixStart(_ body: @escaping @Sendable () -> Void) -> Result<StartedThread, StartFailure> {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackSize)
        // The body travels to the new thread as one retained reference in the context pointer.
        // Invariant: exactly one side releases it — the thread when it starts
        // (takeRetainedValue), or this function when pthread_create fails and the thread never
        // exists.
        let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t?
        #endif
        let status = pthread_create(
            &thread, &attributes,
            { context in
                Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue().body()
                return nil
            }, context)
        guard status == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            return .failure(StartFailure(code: status))
        }
        #if canImport(Glibc)
        let handle = thread
        #else
        let handle = thread!
        #endif
        return .success(StartedThread { _ = pthread_join(handle, nil) })
    }

    /// Set when a start failed: released threads then return without running the body.
    private final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }

    private final class ThreadBody {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    static func describe(_ code: Int32) -> String {
        let name: String
        switch code {
        case EAGAIN: name = "EAGAIN"
        case ENOMEM: name = "ENOMEM"
        case EPERM: name = "EPERM"
        case EINVAL: name = "EINVAL"
        default: name = "error \(code)"
        }
        return "pthread_create failed with \(name) (\(String(cString: strerror(code))))"
    }
}
