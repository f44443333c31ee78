import AllocShim
import AllocShimTestSupport
import Testing

/// A caller's number meeting arithmetic must end in a typed error, never a trap (issue 11,
/// item 7). Each case below trapped before the fix: `Range.count` of `Int.min..<Int.max`,
/// `offset + length` in an error's description, and page rounding of a huge secure buffer.
@Suite("Extreme numbers give typed errors, never traps")
struct ExtremeNumberTests {
    static let extremes = [Int.min, Int.min + 1, -1, Int.max - 1, Int.max]

    @Test("slice with extreme bounds")
    func sliceExtremes() throws {
        let buffer = try SharedBytes.alloc(16)
        #expect(throws: BufferError.rangeOutOfBounds(Int.min..<Int.max, count: 16)) {
            try buffer.slice(Int.min..<Int.max)
        }
        for bound in Self.extremes {
            let ranges = bound < 0 ? [bound..<0, bound..<Int.max] : [0..<bound, bound..<bound]
            for range in ranges where !(range.lowerBound >= 0 && range.upperBound <= 16) {
                #expect(throws: BufferError.rangeOutOfBounds(range, count: 16)) { try buffer.slice(range) }
            }
        }
    }

    @Test("copy with extreme ranges and target offsets")
    func copyExtremes() throws {
        let source = try SharedBytes.alloc(16)
        let target = try SharedBytes.alloc(8)
        #expect(throws: BufferError.rangeOutOfBounds(Int.min..<Int.max, count: 16)) {
            try source.copy(to: target, at: 0, from: Int.min..<Int.max)
        }
        for offset in Self.extremes {
            #expect(throws: BufferError.outOfBounds(offset: offset, length: 16, count: 8)) {
                try source.copy(to: target, at: offset)
            }
        }
    }

    @Test("integer reads and writes at extreme offsets")
    func integerExtremes() throws {
        let buffer = try SharedBytes.alloc(8)
        for offset in Self.extremes {
            #expect(throws: BufferError.outOfBounds(offset: offset, length: 8, count: 8)) {
                try buffer.readInteger(at: offset, as: UInt64.self, byteOrder: .big)
            }
            #expect(throws: BufferError.outOfBounds(offset: offset, length: 4, count: 8)) {
                try buffer.writeInteger(UInt32(1), at: offset, byteOrder: .little)
            }
        }
    }

    @Test("error descriptions never do arithmetic on the caller's numbers")
    func descriptionsDoNotTrap() {
        for a in Self.extremes {
            for b in Self.extremes {
                #expect(!BufferError.outOfBounds(offset: a, length: b, count: 1).description.isEmpty)
                #expect(!AllocationError.sizeOverflow(count: a, stride: b).description.isEmpty)
                #expect(
                    !AllocationError.outOfMemory(backend: "x", byteCount: a, alignment: b).description.isEmpty
                )
            }
            #expect(
                BufferError.rangeOutOfBounds(a..<Int.max, count: 0).description.contains(
                    "\(a)..<\(Int.max)"))
        }
    }

    @Test(
        "buffers of extreme sizes",
        arguments: [Int.min, -1, Int.max, Int.max - 7, AllocationRequest.maximumByteCount + 1])
    func extremeSizes(_ size: Int) throws {
        let expected: AllocationError = size < 0 ? .negativeSize(size) : .sizeTooLarge(size)
        #expect(throws: BufferError.allocation(expected)) { _ = try SharedBytes.alloc(size) }
        #expect(throws: BufferError.allocation(expected)) { _ = try SharedBytes.allocUnsafe(size) }
        #expect(throws: BufferError.allocation(expected)) { _ = try SharedBytes.allocUnsafeSlow(size) }
        #expect(throws: BufferError.allocation(expected)) {
            _ = try OwnedBytes(uninitializedCount: size)
        }
        #expect(throws: BufferError.allocation(expected)) { _ = try OwnedBytes(zeroedCount: size) }
    }

    @Test(
        "secure buffers of extreme sizes, locked or not",
        arguments: [Int.max, Int.max - 4095, Int.max - 1])
    func secureExtremes(_ size: Int) {
        for lock in [SecureBytes.MemoryLock.none, .bestEffort, .required] {
            #expect(throws: SecureBytesError.allocation(.sizeTooLarge(size))) {
                _ = try SecureBytes(zeroedCount: size, lock: lock)
            }
        }
    }

    // MARK: Issue 21, item 8: every public API of AllocShim that takes a number or a duration.
    // Each must answer an extreme value with a result or a typed error, never a trap. The
    // first five trapped before the fix (overflow in `offset + position`, `new - old`, and
    // `Duration.components` of a deadline past Int64.max seconds).

    /// PoisonPattern.period and .periodBytes, spelled out so this file also builds against the
    /// code before the fix (to see these tests fail there).
    static let patternPeriod = 256
    static let patternPeriodBytes = 2048

    static let durations: [Duration] = [
        .seconds(Int64.max), .seconds(Int64.min), .seconds(Int64.max / 2), .nanoseconds(Int64.max), .zero,
        .nanoseconds(-1), .nanoseconds(1),
    ]

    @Test("the detector's deprecated allocation offset: any value, including Int.max - 3")
    @available(*, deprecated, message: "exercises the deprecated allocationOffset overloads")
    func detectorOffsets() throws {
        let pattern = PoisonPattern(seed: 42)
        let detector = try ExposureDetector(pattern: pattern)
        var bytes = [UInt8](repeating: 0, count: 64)
        bytes.withUnsafeMutableBytes { pattern.fill($0.baseAddress!, count: 64) }
        for offset in Self.extremes + [Int.max - 3, Int.max - 7, 0] {
            #expect(bytes.withUnsafeBytes { detector.scan($0, allocationOffset: offset) } == [Exposure(offset: 0, length: 64)])
            #expect(detector.scan(bytes, allocationOffset: offset) == [Exposure(offset: 0, length: 64)])
        }
        for run in Self.extremes {
            if run >= 1 {
                #expect(try ExposureDetector(minimumRun: run).minimumRun == run)
            } else {
                #expect(throws: ExposureDetectorError.invalidMinimumRun(run)) { try ExposureDetector(minimumRun: run) }
            }
        }
        #expect(try ExposureDetector(minimumRun: .max).scan(bytes).isEmpty)
        for a in Self.extremes {
            for b in Self.extremes {
                #expect(!Exposure(offset: a, length: b).description.isEmpty)
                #expect(!ExposureDetectorError.invalidMinimumRun(a).description.isEmpty)
            }
        }
    }

    @Test("the pattern at extreme offsets and starting offsets: the same bytes as offset modulo the period")
    func patternOffsets() {
        let pattern = PoisonPattern(seed: .max)
        let period = Self.patternPeriodBytes
        for offset in Self.extremes + [Int.max - 3, Int.min + 5] {
            // Int.min and Int.max sit at known phases of the 2048-byte cycle.
            #expect(pattern.byte(at: offset) == pattern.byte(at: offset & (period - 1)))
            #expect(pattern.word(at: offset) == pattern.word(at: offset & (Self.patternPeriod - 1)))
            var filled = [UInt8](repeating: 0, count: 40)
            filled.withUnsafeMutableBytes { pattern.fill($0.baseAddress!, count: 40, startingAtAllocationOffset: offset) }
            let phase = offset & (period - 1)
            #expect(filled == (0..<40).map { pattern.byte(at: phase + $0) }, "start \(offset)")
        }
        for count in [Int.min, -1, 0] {
            var untouched = [UInt8](repeating: 7, count: 8)
            untouched.withUnsafeMutableBytes {
                pattern.fill($0.baseAddress!, count: count)
                pattern.fill($0.baseAddress!, count: count, startingAtAllocationOffset: .max)
            }
            #expect(untouched == [UInt8](repeating: 7, count: 8), "count \(count) writes nothing")
        }
        for seed: UInt64 in [0, 1, .max] { #expect(PoisonPattern(seed: seed).seed == seed) }
    }

    @Test("poisonIfEnabled with extreme starting offsets and non-positive counts")
    func poisonModeOffsets() throws {
        try ProcessSettingsLock.exclusive {
            PoisonMode.setEnabled(true)
            defer { PoisonMode.setEnabled(false) }
            var bytes = [UInt8](repeating: 0, count: 24)
            try bytes.withUnsafeMutableBytes { raw in
                for start in Self.extremes {
                    try PoisonMode.poisonIfEnabled(raw.baseAddress!, 24, startingAtAllocationOffset: start)
                }
                for count in [Int.min, -1, 0] {
                    try PoisonMode.poisonIfEnabled(raw.baseAddress!, count)
                    try PoisonMode.poisonIfEnabled(raw.baseAddress!, count, startingAtAllocationOffset: .max)
                }
            }
            let phase = Int.max & (Self.patternPeriodBytes - 1)
            #expect(bytes == (0..<24).map { PoisonPattern.processWide.byte(at: phase + $0) })
        }
    }

    @Test("allocation counters: every pair of extreme byte counts is recorded modulo 2^64, never trapped")
    func countersExtremes() {
        for a in Self.extremes {
            for b in Self.extremes {
                let counters = AllocationCounters()
                counters.recordResize(from: a, to: b)
                counters.recordResize(from: b, to: a)
                #expect(counters.liveBytes == 0, "resize \(a) -> \(b) and back")
                counters.recordAllocation(byteCount: a)
                counters.recordDeallocation(byteCount: a)
                counters.recordAllocation(byteCount: b)
                counters.recordResize(from: b, to: a)
                #expect(counters.snapshot() == (allocations: 2, deallocations: 1, liveBytes: a))
            }
        }
        let counters = AllocationCounters()
        counters.recordResize(from: 1, to: .min)
        #expect(counters.liveBytes == Int.min &- 1)
    }

    @Test("allocation request arithmetic with extreme sizes, strides and alignments")
    func requestExtremes() {
        let alignments = Self.extremes + [0, 3, AllocationRequest.maximumAlignment << 1]
        for size in Self.extremes + [0, AllocationRequest.maximumByteCount + 1] {
            _ = AllocationRequest.cSize(size)
            for alignment in alignments {
                #expect(throws: AllocationError.self) { try AllocationRequest.validated(byteCount: size, alignment: alignment) }
            }
            for stride in Self.extremes {
                let result = Result { () throws(AllocationError) in try AllocationRequest.byteCount(count: size, stride: stride) }
                if case .success(let product) = result {
                    #expect(product == size &* stride && size >= 0 && stride >= 0)
                }
            }
        }
    }

    @Test("every available backend refuses extreme sizes, counts, strides and alignments with a typed error")
    func backendExtremes() throws {
        for name in BackendRegistry.availableBackends {
            let allocator = try BackendRegistry.allocator(name)
            let sizes = Self.extremes + [AllocationRequest.maximumByteCount + 1]
            for size in sizes {
                for alignment in [Int.min, -1, 0, 3, Int.max, allocator.naturalAlignment] {
                    #expect(throws: AllocationError.self, "\(name) \(size) \(alignment)") {
                        try allocator.allocateUninitialized(byteCount: size, alignment: alignment)
                    }
                    #expect(throws: AllocationError.self) { try allocator.allocateZeroed(byteCount: size, alignment: alignment) }
                }
                #expect(throws: AllocationError.self) { try allocator.allocateUninitialized(byteCount: size) }
                #expect(throws: AllocationError.self) { try allocator.allocateZeroed(byteCount: size) }
                for stride in Self.extremes {
                    #expect(throws: AllocationError.self) { try allocator.allocateUninitialized(count: size, stride: stride) }
                    #expect(throws: AllocationError.self) { try allocator.allocateZeroed(count: size, stride: stride, alignment: size) }
                }
            }
            // A live block: resizing it to an extreme size fails and leaves it usable.
            let block = try allocator.allocateUninitialized(byteCount: 16)
            for size in sizes {
                #expect(throws: AllocationError.self) {
                    try allocator.reallocate(block, oldByteCount: 16, newByteCount: size, alignment: allocator.naturalAlignment)
                }
            }
            for alignment in [Int.min, -1, 0, 3, Int.max] {
                #expect(throws: AllocationError.self) {
                    try allocator.reallocate(block, oldByteCount: 16, newByteCount: 32, alignment: alignment)
                }
                #expect(allocator.usableSize(of: block, alignment: alignment) >= 16)
            }
            #expect(allocator.usableSize(of: block) >= 16)
            allocator.deallocate(block, byteCount: 16)
        }
    }

    @Test("buffer sources, pools, builders and decoders with extreme sizes")
    func bufferExtremes() throws {
        let allowed = "\(BufferConfiguration.poolSizeRange.lowerBound)...\(BufferConfiguration.poolSizeRange.upperBound) bytes"
        for size in Self.extremes + [0, 63, (64 << 20) + 1] {
            let error = BufferConfigurationError.invalidValue(variable: "pool size", value: String(size), allowed: allowed)
            #expect(throws: error) { try BufferConfiguration.setPoolSize(size) }
            #expect(throws: error) { try BufferSource(allocator: SystemAllocator.shared, slabSize: size) }
        }
        for count in Self.extremes where count < 0 {
            #expect(throws: BufferError.allocation(.negativeSize(count))) { _ = try BytesBuilder(initialCapacity: count) }
        }
        for count in [Int.max, Int.max - 1, AllocationRequest.maximumByteCount + 1] {
            #expect(throws: BufferError.self) { _ = try BytesBuilder(initialCapacity: count) }
        }
        for form in AllocationForm.allCases {
            for count in Self.extremes {
                #expect(throws: BufferError.self, "\(form) \(count)") { try form.make(count) }
                #expect(throws: BufferError.self, "\(form) \(count)") { _ = try form.makeOwned(count) }
            }
        }
        for limit in Self.extremes {
            let result = Result { () throws(BufferError) in try SharedBytes.decoding("aGVsbG8=", as: .base64, maxDecodedBytes: limit) }
            switch result {
            case .success(let decoded): #expect(limit >= 5 && decoded.count == 5)
            case .failure: #expect(limit < 5)
            }
        }
        for count in Self.extremes {
            #expect(throws: SecureBytesError.self) { _ = try SecureBytes(zeroedCount: count) }
        }
    }

    @Test("a pool made directly with an extreme slab size does not trap")
    func slabPoolExtremes() {
        for size in Self.extremes + [0] {
            let pool = SlabPool(allocator: SystemAllocator.shared, slabSize: size)
            for count in Self.extremes { _ = pool.pools(byteCount: count) }
            _ = pool.accounting
        }
    }

    @Test("tenant arenas and jemalloc statistics with extreme numbers")
    func tenantAndControlExtremes() throws {
        for maximum in Self.extremes + [0] {
            #expect(throws: TenantArenaError.self) { try TenantArenas(maximumTenants: maximum) }
        }
        guard JemallocControl.isAvailable else { return }
        for index: UInt32 in [.max, .max - 1, 1 << 31] {
            #expect(throws: JemallocControlError.self) { try JemallocControl.arenaStatistics(index) }
            #expect(throws: JemallocControlError.self) { try JemallocControl.read(.arenaResident, arena: index) }
        }
        let snapshot = TenantArenaSnapshot(
            tenant: "t", arenaIndex: .max,
            statistics: AllocatorStatistics(
                backend: "b", counters: AllocationCounters(), source: "s", allocatedBytes: .max, activeBytes: .min,
                residentBytes: -1, mappedBytes: .max, retainedBytes: .min))
        #expect(snapshot.arenaIndex == .max)
    }

    @Test("runPeriodically with extreme intervals: a typed error at or below zero, otherwise sleeps until cancelled")
    func releaseIntervals() async throws {
        for interval in Self.durations {
            if interval <= .zero {
                await #expect(throws: FreeMemoryReleaseError.nonPositiveInterval(interval)) {
                    try await FreeMemoryRelease.runPeriodically(every: interval)
                }
                continue
            }
            let releases = Counter()
            let task = Task { try await FreeMemoryRelease.runPeriodically(every: interval) { _ in releases.add() } }
            try await Task.sleep(for: .milliseconds(20))
            task.cancel()
            try await task.value
            // Only the 1 ns interval can have released in 20 ms; none of the long ones may.
            if interval > .seconds(1) { #expect(releases.value == 0, "\(interval)") }
        }
    }
}
