import CAllocShims
import Testing

@testable import AllocShim

#if canImport(Glibc)
import Glibc
#endif

@Suite("mallctl reads and writes cannot use the wrong type", .enabled(if: JemallocControl.isAvailable))
struct JemallocControlTypeTests {
    /// Issue 11 item 8: before the fix this dereferenced the page size (4096) as a
    /// `const char *` and the test process died with SIGSEGV.
    @Test("a number-valued key read as String is a typed error, before mallctl is called")
    func numberAsString() {
        #expect(throws: JemallocControlError.notAString(name: "arenas.page", stringKeys: JemallocKeyKinds.readableStrings)) {
            try JemallocControl.read("arenas.page", as: String.self)
        }
        for name in ["stats.allocated", "arenas.narenas", "opt.abort", "epoch", "arena.0.dirty_decay_ms", "no.such.key"] {
            #expect(throws: JemallocControlError.notAString(name: name, stringKeys: JemallocKeyKinds.readableStrings)) {
                try JemallocControl.read(name, as: String.self)
            }
        }
    }

    @Test("string-valued keys still read as String, with arena indices")
    func stringsStillRead() throws {
        #expect(try JemallocControl.read("version", as: String.self).hasPrefix("5."))
        let dss = try JemallocControl.read("opt.dss", as: String.self)
        #expect(["disabled", "primary", "secondary"].contains(dss))
        #expect(["disabled", "primary", "secondary"].contains(try JemallocControl.read("arena.0.dss", as: String.self)))
    }

    @Test("a string-valued key read as a number is a typed error")
    func stringAsNumber() {
        #expect(throws: JemallocControlError.isAString(name: "version")) { try JemallocControl.read("version", as: Int.self) }
        #expect(throws: JemallocControlError.isAString(name: "opt.dss")) { try JemallocControl.read(JemallocKey<UInt64>("opt.dss")) }
    }

    @Test("a number of the wrong size names both sizes")
    func wrongSizes() {
        #expect(throws: JemallocControlError.typeMismatch(name: "arenas.page", expectedBytes: 4, actualBytes: 8)) {
            try JemallocControl.read("arenas.page", as: UInt32.self)
        }
        #expect(throws: JemallocControlError.typeMismatch(name: "opt.abort", expectedBytes: 8, actualBytes: 1)) {
            try JemallocControl.read("opt.abort", as: Int.self)
        }
        #expect(throws: JemallocControlError.typeMismatch(name: "arenas.narenas", expectedBytes: 1, actualBytes: 4)) {
            try JemallocControl.read("arenas.narenas", as: Bool.self)
        }
        #expect(throws: JemallocControlError.typeMismatch(name: "arenas.narenas", expectedBytes: 8, actualBytes: 4)) {
            try JemallocControl.read(JemallocKey<Int>("arenas.narenas"))
        }
    }

    @Test("writing a number where jemalloc expects a pointer is refused")
    func pointerWrites() {
        for name in ["arena.0.extent_hooks", "arenas.lookup", "prof.dump", "thread.prof.name", "arena.3.dss", "experimental.hooks.install"] {
            #expect(throws: JemallocControlError.takesPointer(name: name)) { try JemallocControl.write(name, 1) }
        }
        // Numbers still write.
        #expect(throws: Never.self) { try JemallocControl.advanceEpoch() }
    }

    @Test("the right types still read")
    func rightTypes() throws {
        #expect(try JemallocControl.read("arenas.page", as: Int.self) == Int(CAllocShims_page_size()))
        #expect(try JemallocControl.read(.arenaCount) > 0)
        _ = try JemallocControl.read("opt.abort", as: Bool.self)
    }
}

@Suite("key patterns and arena flags")
struct JemallocEncodingTests {
    @Test("<i> matches decimal arena indices only")
    func patterns() {
        #expect(JemallocKeyKinds.isReadableString("arena.12.dss"))
        #expect(JemallocKeyKinds.isReadableString("stats.arenas.4096.dss"))
        #expect(!JemallocKeyKinds.isReadableString("arena..dss"))
        #expect(!JemallocKeyKinds.isReadableString("arena.x.dss"))
        #expect(!JemallocKeyKinds.isReadableString("arena.0.dss.more"))
        #expect(!JemallocKeyKinds.isReadableString("versions"))
    }

    /// Issue 11 item 10: jemalloc's MALLOCX_ARENA(2048) shifts 2049 into the sign bit of an
    /// int (undefined behaviour, reported by UBSan as "left shift of 2049 by 20 places cannot
    /// be represented in type 'int'"); UInt32.max wrapped to arena 0's flags.
    @Test("MALLOCX_ARENA is defined for every index jemalloc can encode, a typed error beyond")
    func arenaFlags() throws {
        #expect(try JemallocArenaFlags.arenaFlags(0) == 1 << 20)
        #expect(try JemallocArenaFlags.arenaFlags(2046) == 2047 << 20)
        #expect(try JemallocArenaFlags.arenaFlags(2048) == Int32(bitPattern: 2049 << 20))
        #expect(try JemallocArenaFlags.arenaFlags(4094) == Int32(bitPattern: 4095 << 20))
        #expect(JemallocArenaFlags.arenaIndexLimit == 4094)
        for index in [4095, 4096, UInt32(Int32.max), UInt32.max] {
            #expect(throws: JemallocControlError.arenaIndexOutOfRange(index: index, limit: 4094)) {
                try JemallocArenaFlags.arenaFlags(index)
            }
        }
    }

    @Test("arena flags address the arena they name", .enabled(if: JemallocControl.isAvailable))
    func flagsReachTheArena() throws {
        let arena = try JemallocArena()
        let flags = try JemallocArenaFlags.arenaFlags(arena.index) | CAllocShims_MALLOCX_TCACHE_NONE()
        let jemalloc = try #require(CAllocShims_jemalloc_table()).pointee
        let block = try #require(jemalloc.mallocx(64, flags))
        defer { jemalloc.dallocx(block, flags) }
        // arenas.lookup: pointer in, arena index out.
        var pointer: UnsafeMutableRawPointer? = block
        var index: UInt32 = .max
        var length = MemoryLayout<UInt32>.size
        let code = withUnsafeMutableBytes(of: &index) { out in
            withUnsafeMutableBytes(of: &pointer) { CAllocShims_jemalloc_mallctl("arenas.lookup", out.baseAddress, &length, $0.baseAddress, $0.count) }
        }
        #expect(code == 0)
        #expect(index == arena.index)
    }
}
