import AllocShim
import Testing

@Suite("jemalloc dedicated arenas", .enabled(if: JemallocControl.isAvailable))
struct JemallocArenaTests {
    @Test("memory freed in one arena is never handed out by another")
    func isolation() throws {
        let tenantA = try JemallocArena()
        let tenantB = try JemallocArena()
        #expect(tenantA.index != tenantB.index)
        for size in [16, 100, 4096, 64 * 1024, 1 << 20] {
            let count = size >= 64 * 1024 ? 16 : 256
            var freedByA = Set<Int>()
            for _ in 0..<count {
                let block = try tenantA.allocateUninitialized(byteCount: size)
                block.initializeMemory(as: UInt8.self, repeating: 0xA7, count: size)
                freedByA.insert(Int(bitPattern: block))
                tenantA.deallocate(block, byteCount: size)
            }
            for _ in 0..<count {
                let block = try tenantB.allocateUninitialized(byteCount: size)
                #expect(!freedByA.contains(Int(bitPattern: block)), "arena \(tenantB.index) reused a block of arena \(tenantA.index) (\(size) B)")
                let residue = UnsafeRawBufferPointer(start: block, count: size).filter { $0 == 0xA7 }.count
                #expect(residue < size / 2, "arena \(tenantB.index) holds tenant A's bytes (\(size) B)")
                tenantB.deallocate(block, byteCount: size)
            }
        }
    }

    @Test("the same arena does reuse its own freed block (the isolation test can fail)")
    func reuseWithinArena() throws {
        let arena = try JemallocArena()
        let first = try arena.allocateUninitialized(byteCount: 100)
        arena.deallocate(first, byteCount: 100)
        let second = try arena.allocateUninitialized(byteCount: 100)
        #expect(first == second)
        arena.deallocate(second, byteCount: 100)
    }

    @Test("destroying an arena releases its memory")
    func destroyReleasesMemory() throws {
        let arena = try JemallocArena()
        let blockSize = 1 << 20
        let blocks = try (0..<64).map { _ in
            let block = try arena.allocateUninitialized(byteCount: blockSize)
            block.initializeMemory(as: UInt8.self, repeating: 1, count: blockSize)
            return block
        }
        let arenaStats = arena.statistics()
        #expect((arenaStats.residentBytes ?? 0) >= 64 * blockSize)
        #expect((arenaStats.mappedBytes ?? 0) >= 64 * blockSize)
        #expect(arenaStats.liveBytes == 64 * blockSize)
        let before = try JemallocControl.processStatistics()
        for block in blocks { arena.deallocate(block, byteCount: blockSize) }
        try arena.destroy()
        let after = try JemallocControl.processStatistics()
        #expect(before.resident - after.resident >= 48 * blockSize, "resident fell by \(before.resident - after.resident)")
        #expect(before.mapped - after.mapped >= 48 * blockSize, "mapped fell by \(before.mapped - after.mapped)")
        #expect(arena.isDestroyed)
        #expect(throws: AllocationError.unusable(backend: "jemalloc-arena", reason: "arena \(arena.index) was destroyed")) {
            try arena.allocateUninitialized(byteCount: 10)
        }
    }

    @Test("purge returns dirty pages; reset discards every block")
    func purgeAndReset() throws {
        let arena = try JemallocArena()
        let blocks = try (0..<32).map { _ in try arena.allocateZeroed(byteCount: 256 * 1024) }
        for block in blocks { arena.deallocate(block, byteCount: 256 * 1024) }
        try arena.purge()
        let purged = arena.statistics()
        #expect((purged.residentBytes ?? .max) < 4 << 20, "resident after purge: \(purged.residentBytes ?? -1)")
        let live = try arena.allocateUninitialized(byteCount: 1 << 20)
        #expect(throws: JemallocArenaError.inUse(arena: arena.index, liveBlocks: 1)) { try arena.reset() }
        arena.deallocate(live, byteCount: 1 << 20)
        try arena.reset()
        #expect((arena.statistics().allocatedBytes ?? .max) == 0)
    }
}

@Suite("jemalloc control", .enabled(if: JemallocControl.isAvailable))
struct JemallocControlTests {
    @Test("typed reads by name and by cached MIB")
    func typedReads() throws {
        let version = try JemallocControl.read("version", as: String.self)
        #expect(version.hasPrefix("5."))
        #expect(try JemallocControl.read(.pageSize) == ProcessMemory.pageSize)
        #expect(try JemallocControl.read("opt.tcache", as: Bool.self) == true)
        let block = try backend(.jemalloc).allocateUninitialized(byteCount: 8 << 20)
        #expect(try JemallocControl.processStatistics().allocated >= 8 << 20)
        try backend(.jemalloc).deallocate(block, byteCount: 8 << 20)
    }

    @Test("write, then read back a writable key")
    func writeAndRead() throws {
        let arena = try JemallocArena()
        let key = "arena.\(arena.index).dirty_decay_ms"
        try JemallocControl.write(key, 1234)
        #expect(try JemallocControl.read(key, as: Int.self) == 1234)
    }

    @Test("errors carry the errno and its mallctl meaning")
    func errors() throws {
        #expect(throws: JemallocControlError.failed(name: "no.such.key", errno: 2)) {
            try JemallocControl.read("no.such.key", as: Int.self)
        }
        let failure = JemallocControlError.failed(name: "no.such.key", errno: 2)
        #expect(failure.description.contains("no such control name"))
        // jemalloc reports a wrongly sized read as EINVAL; the error names both sizes.
        do {
            _ = try JemallocControl.read("stats.allocated", as: UInt32.self)
            Issue.record("a 4-byte read of a size_t key succeeded")
        } catch {
            #expect(error == .typeMismatch(name: "stats.allocated", expectedBytes: 4, actualBytes: 8))
            #expect(error.description.contains("8 bytes"))
        }
        #expect(JemallocControlError.failed(name: "x", errno: 22).description.contains("wrong size"))
        #expect(throws: JemallocControlError.failed(name: "version", errno: 1)) {
            try JemallocControl.write("version", 1)
        }
    }
}

@Suite("without jemalloc", .enabled(if: !JemallocControl.isAvailable))
struct WithoutJemallocTests {
    @Test("jemalloc backends say they are unavailable, why, and how to install")
    func unavailable() {
        for name in [BackendName.jemalloc, .jemallocArena] {
            #expect(throws: BackendSelectionError.self) { try BackendRegistry.allocator(name) }
            let availability = BackendRegistry.availability(name)
            #expect(!availability.available)
            #expect(availability.reason?.contains("libjemalloc-dev") == true)
            #expect(availability.reason?.contains("trait") == true)
        }
        #expect(throws: JemallocControlError.notLinked(name: "version")) { try JemallocControl.read("version", as: String.self) }
    }
}
