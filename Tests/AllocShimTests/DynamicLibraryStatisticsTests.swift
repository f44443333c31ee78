import CAllocShims
import Testing

@testable import AllocShim

private var mimalloc: DynamicLibraryAllocator? { try? DynamicLibraryAllocator.mimalloc.get() }
private var tcmalloc: DynamicLibraryAllocator? { try? DynamicLibraryAllocator.tcmalloc.get() }

/// Issue 22: `statistics()` chose its figures by which optional entry point the loader found,
/// so a tcmalloc without `MallocExtension_GetNumericProperty` reported mimalloc's process
/// figures whenever mimalloc was loaded too. The library's identity decides now.
@Suite("Dynamic library statistics", .enabled(if: mimalloc != nil && tcmalloc != nil))
struct DynamicLibraryStatisticsTests {
    @Test("each library reports its own figures")
    func eachLibraryItsOwn() throws {
        #expect(try #require(mimalloc).statistics().source.hasPrefix("mimalloc"))
        #expect(try #require(tcmalloc).statistics().source.hasPrefix("tcmalloc"))
    }

    @Test("a tcmalloc without its numeric property reports the shim's counters, never mimalloc's figures")
    func tcmallocWithoutPropertyIsNotMimalloc() throws {
        _ = try #require(mimalloc)  // loaded, so mimalloc's process figures exist to be misreported
        var table = try #require(CAllocShims_load_tcmalloc(nil, 0)).pointee
        table.numeric_property = nil
        let copy = UnsafeMutablePointer<CAllocShims_DynamicAllocator>.allocate(capacity: 1)
        defer { copy.deallocate() }
        copy.initialize(to: table)
        let statistics = DynamicLibraryAllocator(.tcmalloc, table: copy).statistics()
        #expect(!statistics.source.contains("mimalloc"), "tcmalloc reported \(statistics.source)")
        #expect(statistics.residentBytes == nil)
    }
}
