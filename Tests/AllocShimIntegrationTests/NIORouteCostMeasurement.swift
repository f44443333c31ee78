#if NIO
// Not a pass/fail test: the measurement behind the NIO route figures in docs/results.md
// ("Figures behind the design"), run only with ALLOCSHIM_MEASURE_NIO_ROUTE=1 in a release build,
// pinned to two cores:
//   ALLOCSHIM_MEASURE_NIO_ROUTE=1 taskset -c 0,1 swift test -c release --traits Jemalloc,NIO,Metrics \
//     --scratch-path .build-nio-rel --filter NIORouteCostMeasurement
import AllocShim
import AllocShimNIO
import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("NIO route cost (measurement)")
struct NIORouteCostMeasurement {
    static let enabled = getenv("ALLOCSHIM_MEASURE_NIO_ROUTE") != nil

    private static func threadNanoseconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) * 1e9 + Double(time.tv_nsec)
    }

    /// CPU ns per 100-byte ByteBuffer made and dropped through `allocator`, on each of `threads`
    /// threads at once; the median of 7 rounds of 200,000 per thread, averaged over the threads.
    private static func nanosecondsPerBuffer(_ allocator: ByteBufferAllocator, threads: Int) -> Double {
        var rounds: [Double] = []
        for _ in 0..<7 {
            let perThread = NIOLockedValueBox<[Double]>([])
            DispatchQueue.concurrentPerform(iterations: threads) { _ in
                let start = threadNanoseconds()
                for _ in 0..<200_000 {
                    var buffer = allocator.buffer(capacity: 100)
                    buffer.writeInteger(UInt64(1))
                    withExtendedLifetime(buffer) {}
                }
                let spent = (threadNanoseconds() - start) / 200_000
                perThread.withLockedValue { $0.append(spent) }
            }
            let values = perThread.withLockedValue { $0 }
            rounds.append(values.reduce(0, +) / Double(values.count))
        }
        return rounds.sorted()[rounds.count / 2]
    }

    @Test("CPU time per ByteBuffer allocate+free through one route, 1 and 2 threads", .enabled(if: enabled))
    func routeCost() throws {
        var routes: [(String, ByteBufferAllocator)] = [
            ("system (plain route)", try ByteBufferAllocator.allocShim(SystemAllocator.shared)),
            ("NIO's own malloc", ByteBufferAllocator()),
        ]
        if let jemalloc = try? BackendRegistry.allocator(.jemalloc) {
            routes.insert(("jemalloc (plain route)", try ByteBufferAllocator.allocShim(jemalloc)), at: 1)
        }
        let tenants = JemallocControl.isAvailable ? try TenantArenas(maximumTenants: 2) : nil
        if let tenants { routes.append(("tenant arena (tenant route)", try tenants.byteBufferAllocator(for: "measured"))) }
        for (name, allocator) in routes {
            let one = Self.nanosecondsPerBuffer(allocator, threads: 1)
            let two = Self.nanosecondsPerBuffer(allocator, threads: 2)
            func tenths(_ value: Double) -> Double { (value * 10).rounded() / 10 }
            print("nio-route-cost \(name): 1 thread \(tenths(one)) ns, 2 threads \(tenths(two)) ns per buffer (CPU)")
        }
        withExtendedLifetime(tenants) {}
    }
}
#endif
