import AllocShim
import AllocShimTestSupport
import Testing

@Suite("Buffers")
struct BufferTests {
    @Test("alloc is zero even right after the same memory held a secret", arguments: availableBackends)
    func allocIsZeroAfterSecret(_ name: BackendName) throws {
        let source = try BufferSource.backend(name)
        for size in [100, 4096, 10 * 1024, 1 << 20] {
            for _ in 0..<10 {
                let secret = try SharedBytes.allocUnsafeSlow(size, using: source)
                try secret.fill(.string("hunter2-token-"))
                let address = secret.withUnsafeBytes { Int(bitPattern: $0.baseAddress) }
                _ = address
            }
            let fresh = try SharedBytes.alloc(size, using: source)
            #expect(fresh.allSatisfy { $0 == 0 }, "\(name) alloc(\(size))")
        }
    }

    @Test("small uninitialized requests are pooled, larger ones are not; slabs go when their last buffer goes")
    func pooling() throws {
        let recording = RecordingAllocator()
        let source = try BufferSource(allocator: recording, slabSize: 8192)
        #expect(source.pool.accounting.liveSlabs == 0)
        var small: [SharedBytes] = []
        for _ in 0..<10 { small.append(try SharedBytes.allocUnsafe(100, using: source)) }
        #expect(small.allSatisfy { $0.isPooled })
        var accounting = source.pool.accounting
        #expect(accounting.liveSlabs == 1)
        #expect(accounting.retainedBytes == 8192)
        #expect(accounting.referencedBytes == 1000)
        #expect(recording.allocations.load(ordering: .relaxed) == 1)
        // Offsets are 8-byte aligned: 100 → next slice at 104.
        let gap = small[1].withUnsafeBytes { b in small[0].withUnsafeBytes { a in Int(bitPattern: b.baseAddress) - Int(bitPattern: a.baseAddress) } }
        #expect(gap == 104)
        let large = try SharedBytes.allocUnsafe(4096, using: source)  // not < half a slab
        #expect(!large.isPooled)
        // Fill the slab so a fresh one is needed, then drop everything from the first slab.
        var more: [SharedBytes] = []
        for _ in 0..<80 { more.append(try SharedBytes.allocUnsafe(100, using: source)) }
        accounting = source.pool.accounting
        #expect(accounting.liveSlabs == 2)
        let pinned = small[0]
        small.removeAll()
        more.removeAll()
        accounting = source.pool.accounting
        #expect(accounting.liveSlabs == 2, "one 100 B buffer pins the first slab; the pool holds the second")
        #expect(accounting.referencedBytes == 100)
        _ = pinned.count
        withExtendedLifetime(pinned) {}
    }

    @Test("a slab is freed into its allocator when its last buffer is gone")
    func slabRelease() throws {
        let recording = RecordingAllocator()
        do {
            let source = try BufferSource(allocator: recording, slabSize: 1024)
            var buffers: [SharedBytes] = []
            for _ in 0..<30 { buffers.append(try SharedBytes.allocUnsafe(100, using: source)) }
            // 9 slices of 100 B fit a 1 KiB slab at 8-byte-aligned offsets (0, 104, ..., 832).
            #expect(source.pool.accounting.slabsAllocated == 4)
            buffers.removeAll()
            #expect(recording.deallocations.load(ordering: .relaxed) == 3, "all but the pool's current slab are freed")
        }
        #expect(recording.deallocations.load(ordering: .relaxed) == 4, "the current slab goes with the pool")
    }

    @Test("views and slices share memory; copies do not")
    func viewsAndCopies() throws {
        let original = try SharedBytes.from("learn_node")
        let copy = try SharedBytes.from(original)
        copy[0] = UInt8(ascii: "n")
        #expect(try original.string() == "learn_node")
        #expect(try copy.string() == "nearn_node")
        let slice = try original.slice(0..<5)
        slice[0] = UInt8(ascii: "L")
        #expect(try original.string() == "Learn_node")
        #expect(slice.sharesMemory(with: original) && !copy.sharesMemory(with: original))
        var external: [UInt8] = [1, 2, 3, 4]
        try external.withUnsafeMutableBytes { memory in
            let view = SharedBytes.viewSharingMemory(of: memory)
            memory[0] = 9
            #expect(view[0] == 9)
            let detached = try SharedBytes.from(view)
            memory[1] = 8
            #expect(detached[1] == 2)
        }
        #expect(throws: BufferError.rangeOutOfBounds(8..<13, count: 10)) { try original.slice(8..<13) }
    }

    @Test("every encoding round-trips")
    func encodingsRoundTrip() throws {
        let samples = ["", "f", "fo", "foo", "foob", "fooba", "foobar", "héllo wörld ✓ 🚀"]
        for text in samples {
            for encoding in [ByteEncoding.utf8, .utf16le] {
                #expect(try SharedBytes.from(text, encoding: encoding).string(encoding: encoding) == text)
            }
        }
        let bytes = try SharedBytes.from((0...255).map(UInt8.init))
        for encoding in [ByteEncoding.hex, .base64, .base64url, .latin1] {
            let text = try bytes.string(encoding: encoding)
            #expect(try SharedBytes.from(text, encoding: encoding) == bytes, "\(encoding)")
        }
        #expect(try SharedBytes.from("foobar").string(encoding: .base64) == "Zm9vYmFy")
        #expect(try SharedBytes.from("fo").string(encoding: .base64) == "Zm8=")
        #expect(try SharedBytes.from([0xfb, 0xff]).string(encoding: .base64url) == "-_8")
        #expect(try SharedBytes.from("Zm8", encoding: .base64).string() == "fo")
        #expect(try SharedBytes.from("ascii only", encoding: .ascii).string(encoding: .ascii) == "ascii only")
    }

    @Test("malformed input is rejected with the offending value")
    func malformedInput() {
        #expect(throws: BufferError.encoding(.invalidLength(encoding: .hex, length: 3))) { try SharedBytes.from("abc", encoding: .hex) }
        #expect(throws: BufferError.encoding(.invalidCharacter(encoding: .hex, character: "g", offset: 1))) {
            try SharedBytes.from("ag", encoding: .hex)
        }
        #expect(throws: BufferError.encoding(.invalidCharacter(encoding: .base64, character: "*", offset: 2))) {
            try SharedBytes.from("ab*d", encoding: .base64)
        }
        #expect(throws: BufferError.encoding(.invalidLength(encoding: .base64, length: 5))) { try SharedBytes.from("abcde", encoding: .base64) }
        #expect(throws: BufferError.encoding(.invalidPadding(encoding: .base64, offset: 3))) { try SharedBytes.from("ab=c", encoding: .base64) }
        #expect(throws: BufferError.encoding(.invalidCharacter(encoding: .base64url, character: "+", offset: 0))) {
            try SharedBytes.from("+abc", encoding: .base64url)
        }
        #expect(throws: BufferError.encoding(.invalidCharacter(encoding: .latin1, character: "✓", offset: 1))) {
            try SharedBytes.from("a✓", encoding: .latin1)
        }
        #expect(throws: BufferError.encoding(.invalidByte(encoding: .ascii, byte: 0xC3, offset: 0))) {
            try SharedBytes.from("é").string(encoding: .ascii)
        }
        #expect(throws: ByteEncodingError.unknownEncoding("utf-7")) { try ByteEncoding(name: "utf-7") }
    }

    @Test("bounded decoding refuses over-limit and malformed input without allocating")
    func boundedDecoding() throws {
        let recording = RecordingAllocator()
        let source = try BufferSource(allocator: recording)
        let huge = String(repeating: "QUFB", count: 1_000_000)  // decodes to 3 MB
        #expect(throws: BufferError.encoding(.decodedSizeOverLimit(encoding: .base64, decodedBytes: 2_999_997, limit: 1024))) {
            try SharedBytes.decoding(huge, as: .base64, maxDecodedBytes: 1024, using: source)
        }
        #expect(throws: BufferError.self) { try SharedBytes.decoding("zz", as: .hex, maxDecodedBytes: 1024, using: source) }
        #expect(throws: BufferError.encoding(.decodedSizeOverLimit(encoding: .hex, decodedBytes: 3, limit: 2))) {
            try SharedBytes.decoding("aabbcc", as: .hex, maxDecodedBytes: 2, using: source)
        }
        #expect(recording.allocations.load(ordering: .relaxed) == 0)
        let decoded = try SharedBytes.decoding("aGk=", as: .base64, maxDecodedBytes: 2, using: source)
        #expect(try decoded.string() == "hi")
        #expect(recording.allocations.load(ordering: .relaxed) == 1)
    }

    @Test("the secure buffer is wiped before its memory is released")
    func secureWipe() throws {
        let recording = RecordingAllocator()
        do {
            let key = try SecureBytes(copying: Array("correct horse battery staple".utf8), allocator: recording)
            let matchesText = key.constantTimeEquals(Array("correct horse battery staple".utf8))
            let matchesOther = key.constantTimeEquals(Array("correct horse battery stapl3".utf8))
            #expect(matchesText && !matchesOther)
            let other = try SecureBytes(copying: Array("correct horse battery staple".utf8), allocator: recording)
            let equal = key.constantTimeEquals(other)
            #expect(equal)
        }
        #expect(recording.releasedAllZero.withLock { $0 } == [true, true])
        let locked = try SecureBytes(zeroedCount: 32, lock: .bestEffort, allocator: recording)
        let lockedCount = locked.count
        #expect(lockedCount == 32)
    }

    @Test("zero-fill mode: parsing of ALLOCSHIM_ZERO_FILL, and switching it in code")
    func zeroFillMode() throws {
        #expect(try BufferConfiguration.parseZeroFill(nil) == false)
        #expect(try BufferConfiguration.parseZeroFill("1") == true)
        #expect(try BufferConfiguration.parseZeroFill("off") == false)
        #expect(throws: BufferConfigurationError.self) { try BufferConfiguration.parseZeroFill("maybe") }
        #expect(throws: BufferConfigurationError.self) { try BufferConfiguration.parsePoolSize("8k") }
        #expect(try BufferConfiguration.parsePoolSize(nil) == 8192)
        let source = try BufferSource(allocator: SystemAllocator.shared, slabSize: 8192)
        // Dirty a slab, release it, then take pooled memory with zero-fill on.
        try ProcessSettingsLock.exclusive {
            BufferConfiguration.setZeroFill(true)
            defer { BufferConfiguration.setZeroFill(false) }
            for size in [100, 3000, 20_000] {
                let buffer = try SharedBytes.allocUnsafe(size, using: source)
                #expect(buffer.allSatisfy { $0 == 0 })
                try buffer.fill(.byte(0xEE))
                let owned = try OwnedBytes(uninitializedCount: size, using: source)
                let ownedIsZero = owned.withUnsafeBytes { $0.allSatisfy { $0 == 0 } }
                #expect(ownedIsZero)
            }
        }
    }

    @Test("buffers free into their own backend even after the default changes")
    func freeIntoOwnBackend() throws {
        let first = RecordingAllocator()
        let second = RecordingAllocator()
        ProcessDefaultAllocator.set(first)
        defer { ProcessDefaultAllocator.set(SystemAllocator.shared) }
        var buffer: SharedBytes? = try SharedBytes.allocUnsafeSlow(1000)
        var owned: OwnedBytes? = try OwnedBytes(zeroedCount: 500)
        ProcessDefaultAllocator.set(second)
        let later = try SharedBytes.alloc(10)
        #expect(buffer?.allocatorName == "recording")
        buffer = nil
        owned = nil
        _ = owned
        #expect(first.deallocations.load(ordering: .relaxed) == 2)
        #expect(second.deallocations.load(ordering: .relaxed) == 0)
        #expect(later.count == 10)
    }

    @Test("built-in backends' direct path: each whole block is counted and freed on its own backend", arguments: BackendRegistry.availableBackends)
    func directPathAccounting(_ name: BackendName) throws {
        // Counters of built-in backends are process-wide and other tests run in parallel, so
        // only lower bounds on the deltas can be asserted.
        let allocator = try BackendRegistry.allocator(name)
        let source = try BufferSource(allocator: allocator)
        let size = 777_777
        let before = allocator.statistics()
        do {
            let shared = try SharedBytes.alloc(size, using: source)
            let owned = try OwnedBytes(uninitializedUnpooledCount: size, using: source)
            #expect(shared.allocatorName == name.rawValue)
            #expect(shared.allSatisfy { $0 == 0 })
            let during = allocator.statistics()
            #expect(during.allocations - before.allocations >= 2)
            withExtendedLifetime(owned) {}
        }
        let after = allocator.statistics()
        #expect(after.deallocations - before.deallocations >= 2)
    }

    @Test("integers, fill, compare, concat")
    func operations() throws {
        let buffer = try SharedBytes.alloc(8)
        try buffer.writeInteger(UInt32(0x0102_0304), at: 0, byteOrder: .big)
        try buffer.writeInteger(UInt16(0x0506), at: 4, byteOrder: .little)
        #expect(Array(buffer) == [1, 2, 3, 4, 6, 5, 0, 0])
        #expect(try buffer.readInteger(at: 0, as: UInt32.self, byteOrder: .little) == 0x0403_0201)
        #expect(throws: BufferError.outOfBounds(offset: 6, length: 4, count: 8)) { try buffer.readInteger(at: 6, as: UInt32.self, byteOrder: .big) }
        let patterned = try SharedBytes.alloc(5, fill: .string("ab"))
        #expect(try patterned.string() == "ababa")
        let joined = try SharedBytes.concat([try .from("ab"), try .from("cd"), try .from("")])
        #expect(try joined.string() == "abcd")
        #expect(try SharedBytes.from("abc") < SharedBytes.from("abd"))
        #expect(try SharedBytes.from("ab") < SharedBytes.from("abc"))
        #expect(try SharedBytes.compare(.from("b"), .from("a")) == 1)
        let target = try SharedBytes.alloc(4)
        #expect(try joined.copy(to: target, at: 1, from: 1..<4) == 3)
        #expect(Array(target) == [0, 98, 99, 100])
        var owned = try OwnedBytes(uninitializedCount: 4)
        owned[0] = 7
        let shared = owned.share()
        #expect(shared[0] == 7 && shared.count == 4)
    }
}
