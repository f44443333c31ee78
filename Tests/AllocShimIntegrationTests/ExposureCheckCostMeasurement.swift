#if NIO
import AllocShim
import AllocShimNIO
import AllocShimTestSupport
import NIOCore
import NIOEmbedded
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Not a pass/fail test: the measurement behind docs/leaks.md's handler cost, run only with
/// ALLOCSHIM_MEASURE_EXPOSURE_HANDLER=1 (it prints; the figures go into the docs).
@Suite("Exposure check handler cost (measurement)")
struct ExposureCheckCostMeasurement {
    static let enabled = getenv("ALLOCSHIM_MEASURE_EXPOSURE_HANDLER") != nil

    private func threadNanoseconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) * 1e9 + Double(time.tv_nsec)
    }

    /// Median per-thread CPU ns per 1 KiB write+flush through an EmbeddedChannel.
    private func nsPerWrite(handler: Bool, poison: Bool, size: Int) throws -> (median: Double, min: Double, max: Double) {
        try ProcessSettingsLock.exclusive {
            PoisonMode.setEnabled(poison)
            defer { PoisonMode.setEnabled(false) }
            let channel = EmbeddedChannel()
            channel.allocator = try .allocShim(SystemAllocator.shared)
            if handler { try channel.pipeline.syncOperations.addHandler(ExposureCheckHandler()) }
            let payload = [UInt8](repeating: 0x42, count: size)
            var samples: [Double] = []
            for _ in 0..<7 {
                let start = threadNanoseconds()
                for _ in 0..<20_000 {
                    var buffer = channel.allocator.buffer(capacity: size)
                    buffer.writeBytes(payload)
                    channel.writeAndFlush(buffer, promise: nil)
                    _ = try channel.readOutbound(as: ByteBuffer.self)
                }
                samples.append((threadNanoseconds() - start) / 20_000)
            }
            _ = try channel.finish()
            samples.sort()
            return (samples[3], samples[0], samples[6])
        }
    }

    @Test("cost of the handler per write: absent, poison off, poison on", .enabled(if: enabled))
    func measure() throws {
        for size in [64, 1024, 16_384] {
            for (handler, poison, label) in [(false, false, "no handler"), (true, false, "handler, poison off"), (false, true, "no handler, poison on"), (true, true, "handler, poison on")] {
                let result = try nsPerWrite(handler: handler, poison: poison, size: size)
                print("exposure-handler size=\(size) \(label): median \(String(format: "%.1f", result.median)) ns (min \(String(format: "%.1f", result.min)), max \(String(format: "%.1f", result.max)))")
            }
        }
    }
}
#endif
