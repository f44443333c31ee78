import AllocShim
import AllocShimTestSupport
import Synchronization
import Testing

/// Hands out uninitialized memory pre-filled with one known byte, so a test can tell
/// "poisoned", "zeroed" and "left as the allocator returned it" apart without depending on
/// what earlier tests left in the heap.
private final class DirtyAllocator: Allocator {
    let name = "dirty"
    let naturalAlignment = 16
    static let dirt: UInt8 = 0xAB
    private let counters = AllocationCounters()

    func allocateUninitialized(byteCount: Int, alignment: Int) throws(AllocationError)
        -> UnsafeMutableRawPointer
    {
        let block = try SystemAllocator.shared.allocateUninitialized(
            byteCount: byteCount, alignment: alignment)
        block.initializeMemory(as: UInt8.self, repeating: Self.dirt, count: byteCount)
        return block
    }
    func allocateZeroed(byteCount: Int, alignment: Int) throws(AllocationError)
        -> UnsafeMutableRawPointer
    {
        try SystemAllocator.shared.allocateZeroed(byteCount: byteCount, alignment: alignment)
    }
    func reallocate(
        _ pointer: UnsafeMutableRawPointer, oldByteCount: Int, newByteCount: Int, alignment: Int
    ) throws(AllocationError)
        -> UnsafeMutableRawPointer
    {
        try SystemAllocator.shared.reallocate(
            pointer, oldByteCount: oldByteCount, newByteCount: newByteCount, alignment: alignment)
    }
    func deallocate(_ pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int) {
        SystemAllocator.shared.deallocate(pointer, byteCount: byteCount, alignment: alignment)
    }
    func usableSize(of pointer: UnsafeMutableRawPointer, alignment: Int) -> Int {
        SystemAllocator.shared.usableSize(of: pointer, alignment: alignment)
    }
    func statistics() -> AllocatorStatistics {
        AllocatorStatistics(backend: name, counters: counters, source: "test")
    }
}

/// Runs `body` with poison mode (and zero-fill mode) set, restoring both to off afterwards,
/// under the lock every test that depends on process-wide buffer settings holds.
func withPoison<R>(_ poison: Bool, zeroFill: Bool = false, _ body: () throws -> R) throws -> R {
    try ProcessSettingsLock.exclusive {
        PoisonMode.setEnabled(poison)
        BufferConfiguration.setZeroFill(zeroFill)
        defer {
            PoisonMode.setEnabled(false)
            BufferConfiguration.setZeroFill(false)
        }
        return try body()
    }
}

@Suite("Poison mode and exposure detector")
struct PoisonModeTests {
    @Test("ALLOCSHIM_POISON parsing: valid values, and a typed error naming the bad one")
    func parsing() throws {
        #expect(try PoisonMode.parse(nil) == false)
        #expect(try PoisonMode.parse("") == false)
        #expect(try PoisonMode.parse("1") == true)
        #expect(try PoisonMode.parse("ON") == true)
        #expect(try PoisonMode.parse("no") == false)
        #expect(
            throws: BufferConfigurationError.invalidValue(
                variable: "ALLOCSHIM_POISON", value: "sometimes",
                allowed: "1, true, yes, on (enable) or 0, false, no, off, empty (disable)")
        ) { try PoisonMode.parse("sometimes") }
        #expect(throws: ExposureDetectorError.invalidMinimumRun(0)) {
            try ExposureDetector(minimumRun: 0)
        }
    }

    @Test("the pattern is not constant, not zero, readable from any offset, and made of self-identifying words")
    func patternShape() throws {
        let pattern = PoisonPattern(seed: 0x1234_5678_9ABC_DEF0)
        let count = 4096
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: count + 3, alignment: 8)
        defer { memory.deallocate() }
        pattern.fill(memory.baseAddress!, count: count)
        for offset in 0..<count { #expect(memory[offset] == pattern.byte(at: offset)) }
        // Not a constant: many distinct bytes; words differ from one to the next.
        #expect(Set(memory[0..<count]).count > 200)
        #expect(pattern.word(at: 0) != pattern.word(at: 1))
        #expect(pattern.word(at: 0) != PoisonPattern(seed: 1).word(at: 0))
        // A grown tail starting at an odd allocation offset continues the same pattern.
        pattern.fill(memory.baseAddress! + 3, count: 100, startingAtAllocationOffset: 3)
        for offset in 3..<103 { #expect(memory[offset] == pattern.byte(at: offset)) }
        // Each word: counter in its low byte, 8 distinct bytes, one of them >= 0x80 (so zeros,
        // a repeated byte and ASCII text can never match); and it is recognised on its own.
        for index in 0..<PoisonPattern.period {
            let word = pattern.word(at: index)
            let bytes = (0..<8).map { UInt8(truncatingIfNeeded: word >> UInt64($0 * 8)) }
            #expect(bytes[0] == UInt8(index) && Set(bytes).count == 8 && bytes.contains { $0 >= 0x80 })
            #expect(pattern.counter(ofWord: word) == UInt8(index))
            #expect(pattern.word(at: index + PoisonPattern.period) == word)
            // No window across two consecutive words is a word: anchors are word boundaries.
            let next = pattern.word(at: index + 1)
            for shift in 1..<8 {
                #expect(pattern.counter(ofWord: word >> UInt64(shift * 8) | next << UInt64(64 - shift * 8)) == nil)
            }
        }
        #expect(pattern.counter(ofWord: 0) == nil && pattern.counter(ofWord: 0x2020_2020_2020_2020) == nil)
    }

    @Test(
        "poison on: every uninitialized form carries the pattern; off: untouched; zero-fill on too: zeroed",
        arguments: AllocationForm.allCases)
    func everyForm(_ form: AllocationForm) throws {
        let source = try BufferSource(allocator: DirtyAllocator(), slabSize: 8192)
        for size in [1, 7, 100, 3000, 20_000] {
            let whole = try ExposureDetector(minimumRun: size)
            try withPoison(true) {
                let buffer = try form.make(size, using: source)
                if form.isUninitialized {
                    // Every byte is the pattern's; the detector needs a whole word to see it.
                    #expect(
                        buffer.enumerated().allSatisfy { $0.element == PoisonPattern.processWide.byte(at: $0.offset) },
                        "\(form) \(size)")
                    #expect(
                        buffer.exposures(detector: whole) == (size >= 8 ? [Exposure(offset: 0, length: size)] : []),
                        "\(form) \(size)")
                } else {
                    #expect(buffer.allSatisfy { $0 == 0 }, "\(form) \(size)")
                }
            }
            try withPoison(false) {
                let buffer = try form.make(size, using: source)
                #expect(
                    buffer.allSatisfy { $0 == (form.isUninitialized ? DirtyAllocator.dirt : 0) },
                    "\(form) \(size)")
            }
            try withPoison(true, zeroFill: true) {
                let buffer = try form.make(size, using: source)
                #expect(buffer.allSatisfy { $0 == 0 }, "zero-fill wins: \(form) \(size)")
            }
        }
    }

    @Test(
        "the detector finds an unwritten tail holding a whole pattern word at its exact offset and length",
        arguments: [1, 7, 8, 14, 15, 100, 4096])
    func unwrittenTail(_ tail: Int) throws {
        let detector = try ExposureDetector(
            minimumRun: Swift.min(tail, ExposureDetector.defaultMinimumRun))
        for written in [0, 1, 5, 8, 13, 100, 1000] {
            let estimated = written + tail
            try withPoison(true) {
                let buffer = try SharedBytes.allocUnsafe(estimated)
                // Real text, except the last written byte, which is made to differ from the
                // pattern there: otherwise it matches with probability 1/256 and the run would
                // legitimately start one byte earlier.
                let text = Array(
                    String(
                        repeating: "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n", count: written / 40 + 1
                    ).utf8.prefix(written))
                buffer.withUnsafeMutableBytes { bytes in
                    for index in 0..<written { bytes[index] = text[index] }
                    if written > 0 { bytes[written - 1] = ~PoisonPattern.processWide.byte(at: written - 1) }
                }
                // Found exactly when the tail holds a whole 8-byte word of the allocation (always
                // from 15 bytes on); a shorter straddling tail has no word to recognise.
                let firstWord = (written + 7) & ~7
                let expected = firstWord + 8 <= estimated ? [Exposure(offset: written, length: tail)] : []
                // ASCII text never matches a pattern word, so nothing else is reported.
                #expect(buffer.exposures(detector: detector) == expected, "written \(written), tail \(tail)")
                // A slice is scanned like any bytes: the same run, at the slice's own offsets.
                let slice = try buffer.slice((written / 2)..<estimated)
                #expect(
                    slice.exposures(detector: detector)
                        == expected.map { Exposure(offset: $0.offset - written / 2, length: $0.length) })
            }
        }
    }

    /// A 1024-byte response of which only the first 77 bytes were written (the chapter's bug),
    /// its last written byte made to differ from the pattern (see `unwrittenTail`).
    private static func halfWrittenBody() throws -> SharedBytes {
        // allocshim: uninitialized — the bug under test: 947 bytes are deliberately never written
        let body = try SharedBytes.allocUnsafe(1024)
        let text = Array(String(repeating: "{\"user\":\"alice\",\"ok\":true}", count: 4).utf8.prefix(77))
        body.withUnsafeMutableBytes { bytes in
            for index in 0..<77 { bytes[index] = text[index] }
            bytes[76] = ~PoisonPattern.processWide.byte(at: 76)
        }
        return body
    }

    private static let unwrittenInBody = Exposure(offset: 77, length: 947)

    @Test(
        "bytes that moved are found where they landed: concat, builder, copy(to:at:), from(slice), from(buffer)",
        arguments: [0, 1, 3, 8, 13, 100])
    func movedBytes(_ headerLength: Int) throws {
        let events = Mutex<[ExposureEvent]>([])
        try withPoison(true) {
            ExposureMonitor.setHandler { event in events.withLock { $0.append(event) } }
            defer { ExposureMonitor.resetHandler() }
            let body = try Self.halfWrittenBody()
            let header = try SharedBytes.from(Array(String(repeating: "H", count: headerLength).utf8))
            let shifted = Exposure(offset: headerLength + 77, length: 947)

            let joined = try SharedBytes.concat([header, body])
            #expect(joined.exposures() == [shifted], "concat after \(headerLength) header bytes")

            var builder = try BytesBuilder(initialCapacity: 16)
            try builder.append(header)
            try builder.append(body)
            let built = try builder.finish()
            #expect(built.exposures() == [shifted], "builder after \(headerLength) header bytes")

            let target = try SharedBytes.alloc(headerLength + 1024 + 5)
            try body.copy(to: target, at: headerLength)
            #expect(target.exposures() == [shifted], "copy(to:at: \(headerLength))")

            let sliced = try SharedBytes.from(try body.slice(headerLength..<1024))
            let expected = Exposure(offset: 77 - Swift.min(headerLength, 77), length: 947 - Swift.max(0, headerLength - 77))
            #expect(sliced.exposures() == (expected.length >= 8 ? [expected] : []), "from(slice from \(headerLength))")
            #expect(try SharedBytes.from(body).exposures() == [Self.unwrittenInBody])

            // The checked conversions see the moved bytes too.
            _ = joined.copyToArray()
        }
        let seen = events.withLock { $0 }
        #expect(seen.map(\.exposures) == [[Exposure(offset: headerLength + 77, length: 947)]])
    }

    @Test("two unwritten pieces side by side are one run; a run wrapping the pattern's period is one run")
    func adjacentAndLongRuns() throws {
        let pattern = PoisonPattern(seed: 7)
        let detector = try ExposureDetector(pattern: pattern)
        var first = [UInt8](repeating: 0, count: 100)
        var second = [UInt8](repeating: 0, count: 5000)
        first.withUnsafeMutableBytes { pattern.fill($0.baseAddress!, count: 100) }
        second.withUnsafeMutableBytes { pattern.fill($0.baseAddress!, count: 5000, startingAtAllocationOffset: 3) }
        #expect(detector.scan(first + second) == [Exposure(offset: 0, length: 5100)])
        #expect(detector.scan([0x41] + second + [0x41]) == [Exposure(offset: 1, length: 5000)])
        // Another process's pattern is not this one's.
        #expect(try ExposureDetector(pattern: PoisonPattern(seed: 8)).scan(second).isEmpty)
    }

    @Test("with the fix (exact size or alloc) the detector is silent")
    func fixedIsSilent() throws {
        try withPoison(true) {
            let body = Array("{\"user\":\"alice\"}".utf8)
            let exact = try SharedBytes.allocUnsafe(body.count)
            exact.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, from: body) }
            #expect(exact.exposures().isEmpty)
            let zeroed = try SharedBytes.alloc(4096)
            zeroed.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, from: body) }
            #expect(zeroed.exposures().isEmpty)
        }
    }

    @Test("conversions to Data, String and [UInt8] report exposures in poison mode only")
    func conversionsReport() throws {
        let events = Mutex<[ExposureEvent]>([])
        // The handler is process-wide: set it only while holding the settings lock, so
        // another test's handler cannot receive these events (or this one theirs).
        try withPoison(true) {
            ExposureMonitor.setHandler { event in events.withLock { $0.append(event) } }
            defer { ExposureMonitor.resetHandler() }
            let buffer = try SharedBytes.allocUnsafe(64)
            buffer.withUnsafeMutableBytes { bytes in
                for index in 0..<20 { bytes[index] = ~PoisonPattern.processWide.byte(at: index) }
            }
            _ = buffer.copyToArray()
            _ = buffer.dataCopy()
            _ = buffer.unsafeDataSharingMemory()
            _ = try? buffer.string(encoding: .latin1)
        }
        let seen = events.withLock { $0 }
        #expect(seen.map(\.conversion) == ["[UInt8]", "Data", "Data", "String"])
        #expect(
            seen.allSatisfy { $0.exposures == [Exposure(offset: 20, length: 44)] && $0.byteCount == 64 })
        events.withLock { $0 = [] }
        try withPoison(false) {
            ExposureMonitor.setHandler { event in events.withLock { $0.append(event) } }
            defer { ExposureMonitor.resetHandler() }
            let buffer = try SharedBytes.allocUnsafe(64)
            _ = buffer.copyToArray()
        }
        #expect(events.withLock { $0.isEmpty })
    }

    @Test("the conversion handler survives many events (it once grew a thunk per event and overflowed the stack)")
    func manyEvents() throws {
        let count = Counter()
        try withPoison(true) {
            ExposureMonitor.setHandler { _ in count.add() }
            defer { ExposureMonitor.resetHandler() }
            let buffer = try SharedBytes.allocUnsafe(16)
            for _ in 0..<300_000 { _ = buffer.copyToArray() }
        }
        #expect(count.value == 300_000)
    }

    @Test(
        "no false positive on a fixed corpus of real data (text, compressed-looking, zeros, repeated bytes)"
    )
    func corpusHasNoFalsePositive() throws {
        let detector = ExposureDetector.standard
        var scanned = 0
        for sample in ExposureCorpus.samples(totalBytes: 16 << 20) {
            // Every byte position is checked, so one scan covers every alignment.
            let found = sample.withUnsafeBytes { detector.scan($0) }
            #expect(found.isEmpty, "false positive: \(found)")
            scanned += sample.count
        }
        #expect(scanned >= 16 << 20)
    }
}

/// Counts events from any thread.
final class Counter: Sendable {
    private let stored = Mutex(0)
    func add() { stored.withLock { $0 += 1 } }
    var value: Int { stored.withLock { $0 } }
}

/// A deterministic corpus of real-looking data (no pattern in it by construction: it is
/// generated without knowing the process's seed).
enum ExposureCorpus {
    /// Samples of the four kinds, cycling, until `totalBytes`.
    static func samples(totalBytes: Int) -> [[UInt8]] {
        var generator = CorpusGenerator(state: 0xC0FFEE)
        var samples: [[UInt8]] = []
        var total = 0
        var kind = 0
        let words = [
            "the", "user", "token", "session", "GET", "/api/v1/items", "200", "OK", "content-length",
            "{\"id\":", "null", "\r\n",
        ]
        while total < totalBytes {
            let size = Int(generator.next() % 65_536) + 1
            var sample: [UInt8]
            switch kind % 4 {
            case 0:  // text: words, JSON, HTTP
                sample = []
                while sample.count < size {
                    sample += Array((words[Int(generator.next() % UInt64(words.count))] + " ").utf8)
                }
                sample.removeLast(sample.count - size)
            case 1:  // compressed-looking: uniformly random bytes
                sample = (0..<size).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            case 2:  // zeros
                sample = [UInt8](repeating: 0, count: size)
            default:  // one repeated byte
                sample = [UInt8](repeating: UInt8(truncatingIfNeeded: generator.next()), count: size)
            }
            samples.append(sample)
            total += size
            kind += 1
        }
        return samples
    }
}

/// SplitMix64, so the corpus is the same on every machine (the core's tests do not import the
/// measurement layer for its generator).
private struct CorpusGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
