@testable import AllocShim
import Testing

/// RawSpan inputs and the region handoff AllocShimNIO builds its zero-copy path on (issue 19).
@Suite("Span inputs and region handoff")
struct SpanInputTests {
    @Test("RawSpan inputs copy exactly the span's bytes, into every buffer type")
    func rawSpanInputs() throws {
        let source: [UInt8] = (0..<200).map { UInt8($0) }
        let span = source.span.bytes
        let shared = try SharedBytes.from(span)
        let owned = try OwnedBytes(copying: span)
        let secure = try SecureBytes(copying: span)
        var builder = try BytesBuilder(initialCapacity: 4)
        try builder.append(span)
        try builder.append([UInt8]().span.bytes)
        let built = try builder.finish()
        #expect(shared.copyToArray() == source)
        #expect(owned.copyToArray() == source)
        let secureMatches = secure.constantTimeEquals(source)
        #expect(secureMatches)
        #expect(built.copyToArray() == source)
        #expect(try SharedBytes.from([UInt8]().span.bytes).isEmpty)
    }

    @Test("a handed-off region is freed once, by its holder, into its allocator")
    func ownedHandoff() throws {
        let allocator = PrivatelyCountedAllocator()
        let source = try BufferSource(allocator: allocator)
        let owned = try OwnedBytes(capacity: 10_000, using: source) { $0.append(repeating: 9, count: 10_000, as: UInt8.self) }
        let region = owned.handOffRegion()
        #expect(allocator.counters.liveBytes == 10_000, "handing off frees nothing")
        #expect(region.count == 10_000 && region.base.load(fromByteOffset: 9_999, as: UInt8.self) == 9)
        region.release()
        #expect(allocator.counters.liveBytes == 0)
    }

    @Test("a SharedBytes hands off only when it is the whole region's only reference")
    func sharedHandoffOnlyWhenUnique() throws {
        let allocator = PrivatelyCountedAllocator()
        let source = try BufferSource(allocator: allocator)
        let unique = try SharedBytes.alloc(5000, using: source)
        guard let region = (consume unique).handOffRegionIfUnique() else {
            Issue.record("a unique whole buffer did not hand off")
            return
        }
        #expect(allocator.counters.liveBytes == 5000)
        region.release()
        #expect(allocator.counters.liveBytes == 0)

        do {
            let copied = try SharedBytes.alloc(5000, using: source)
            let copy = copied
            #expect(copied.handOffRegionIfUnique() == nil, "another copy can still write the bytes")
            let sliced = try SharedBytes.alloc(5000, using: source)
            #expect(try sliced.slice(0..<10).handOffRegionIfUnique() == nil, "a slice is not the whole region")
            _ = copy.count
        }
        #expect(allocator.counters.liveBytes == 0, "the refused values still free their regions")
    }
}
