import AllocShim
import Testing

@testable import AllocShimMeasure

/// The pool-size command's working set (the thread sweep's larson on one thread): what the
/// pool's slabs hold against what its live buffers reference, with the pool's own count
/// checked against the workload's.
@Suite("Pool retention under a working set")
struct PoolRetentionTests {
    @Test("the pool references exactly the live buffers' bytes, and its slabs hold more than that: a slice pins its slab")
    func workingSetPinsSlabs() throws {
        let allocator = try BackendRegistry.allocator(.system)
        for slabSize in PoolSizeComparison.slabSizes {
            let source = try BufferSource(perThreadPoolOf: allocator, slabSize: slabSize)
            let result = try PoolSizeComparison.workingSetRetention(source, slots: 300, steps: 20_000)
            #expect(result.referenced == result.liveBytes, "slab size \(slabSize)")
            #expect(result.retained % slabSize == 0, "slab size \(slabSize)")
            // 300 buffers of 8…1000 B, replaced at random: most slabs keep one slice long after
            // the others went (the model of docs/results.md gives about 3.5× for 8 KiB slabs).
            #expect(result.retained > 2 * result.referenced, "slab size \(slabSize): \(result)")
        }
    }

    @Test("larger slabs pin more under the same working set")
    func largerSlabsPinMore() throws {
        let allocator = try BackendRegistry.allocator(.system)
        let ratios = try PoolSizeComparison.slabSizes.map { slabSize in
            let source = try BufferSource(perThreadPoolOf: allocator, slabSize: slabSize)
            let result = try PoolSizeComparison.workingSetRetention(source, slots: 300, steps: 20_000)
            return Double(result.retained) / Double(result.referenced)
        }
        #expect(ratios == ratios.sorted() && ratios.first! < ratios.last!, "\(ratios)")
    }
}
