import AllocShim
import Foundation
import AllocShimTestSupport
import Testing

@Suite("Buffer builder, Data interop and forms")
struct BufferInteropTests {
    @Test("the builder grows geometrically and yields one buffer with every byte")
    func builder() throws {
        let recording = RecordingAllocator()
        let source = try BufferSource(allocator: recording)
        var builder = try BytesBuilder(initialCapacity: 16, using: source)
        var expected: [UInt8] = []
        for index in 0..<1000 {
            let chunk = "chunk-\(index);"
            try builder.append(chunk)
            expected += Array(chunk.utf8)
        }
        #expect(builder.count == expected.count)
        #expect(builder.growthCount <= 12, "amortized growth: \(builder.growthCount) reallocations for \(expected.count) bytes")
        let message = try builder.finish()
        #expect(Array(message) == expected)
        #expect(recording.allocations.load(ordering: .relaxed) == 1, "one block, grown in place or moved by reallocate")
    }

    @Test("Data without copying frees into the buffer's own backend", arguments: availableBackends)
    func dataInterop(_ name: BackendName) throws {
        let allocator = try BackendRegistry.allocator(name)
        let source = try BufferSource(allocator: allocator)
        let before = allocator.statistics()
        var data: Data? = try OwnedBytes(zeroedCount: 4096, using: source).moveIntoData()
        let during = allocator.statistics()
        #expect(during.allocations - before.allocations >= 1)
        data?[0] = 42
        #expect(data?.count == 4096 && data?[0] == 42)
        data = nil
        let after = allocator.statistics()
        #expect(after.deallocations - before.deallocations >= 1)
        let shared = try SharedBytes.from(String(repeating: "shared", count: 100))
        let view = shared.unsafeDataSharingMemory()
        shared[0] = UInt8(ascii: "S")
        #expect(view.first == UInt8(ascii: "S"), "a shared Data sees writes")
        let copy = shared.dataCopy()
        shared[1] = UInt8(ascii: "H")
        #expect(copy[1] == UInt8(ascii: "h"), "a copied Data does not")
        #expect(try SharedBytes.from(Data([1, 2, 3])).copyToArray() == [1, 2, 3])
    }

    @Test("every allocation form is made by name", arguments: AllocationForm.allCases)
    func formsByName(_ form: AllocationForm) throws {
        #expect(try AllocationForm(parsing: form.rawValue) == form)
        let buffer = try form.make(100, using: BufferSource.backend(.system))
        #expect(buffer.count == 100)
        #expect(buffer.isPooled == (form == .allocUnsafe || form == .ownedUninitialized))
        if !form.isUninitialized { #expect(buffer.allSatisfy { $0 == 0 }) }
        #expect(throws: AllocationFormError.unknownForm("allocFast")) { try AllocationForm(parsing: "allocFast") }
    }

    @Test("CLI: ALLOCSHIM_ZERO_FILL through the environment, and invalid values")
    func zeroFillFromEnvironment() throws {
        let enabled = try runAllocShim(["config", "--json"], environment: ["ALLOCSHIM_ZERO_FILL": "1"])
        #expect(enabled.status == 0)
        #expect(enabled.stdout.contains("\"zeroFill\" : true"))
        #expect(enabled.stdout.contains("\"pooledBytesAllZero\" : true"), "an uninitialized pooled buffer after a dirty one is zero")
        let disabled = try runAllocShim(["config", "--json"], environment: ["ALLOCSHIM_ZERO_FILL": "0"])
        #expect(disabled.stdout.contains("\"zeroFill\" : false"))
        let invalid = try runAllocShim(["config"], environment: ["ALLOCSHIM_ZERO_FILL": "sometimes"])
        #expect(invalid.status != 0)
        #expect(invalid.stderr.contains("ALLOCSHIM_ZERO_FILL") && invalid.stderr.contains("sometimes"))
        let badPool = try runAllocShim(["config"], environment: ["ALLOCSHIM_POOL_SIZE": "-4"])
        #expect(badPool.status != 0 && badPool.stderr.contains("ALLOCSHIM_POOL_SIZE"))
    }
}
