import AllocShim
import Foundation
import Testing

@testable import AllocShimMeasure

/// Issue 22: one allocator-family type (`ProcessAllocator.Family`) and one soname table
/// (CAllocShimsProcessAllocator.h) serve the dlopen loaders, `allocshim run` and the residue
/// table's preloaded rows; the rows named x86_64 paths of their own.
@Suite("Allocator families and their sonames")
struct AllocatorFamilyTests {
    @Test("a library path names its family by file name, as the process allocator's lookup does")
    func familyOfPath() {
        #expect(ProcessAllocator.Family(libraryPath: "/usr/lib/aarch64-linux-gnu/libjemalloc.so.2") == .jemalloc)
        #expect(ProcessAllocator.Family(libraryPath: "libmimalloc.so.2") == .mimalloc)
        #expect(ProcessAllocator.Family(libraryPath: "/lib/libtcmalloc_minimal_debug.so.4") == .tcmalloc)
        let scudo = "/usr/lib/llvm-14/lib/clang/14/lib/linux/libclang_rt.scudo_standalone-x86_64.so"
        #expect(ProcessAllocator.Family(libraryPath: scudo) == .scudo)
        #expect(ProcessAllocator.Family(libraryPath: "/lib/x86_64-linux-gnu/libc.so.6") == .glibc)
        #expect(ProcessAllocator.Family(libraryPath: "/jemalloc/libfoo.so") == .unknown)  // the file name decides
    }

    @Test("glibc and unknown have nothing to load; the others their sonames, preferred first")
    func sonames() {
        #expect(ProcessAllocator.Family.glibc.sonames.isEmpty)
        #expect(ProcessAllocator.Family.unknown.sonames.isEmpty)
        #expect(ProcessAllocator.Family.jemalloc.sonames == ["libjemalloc.so.2"])
        #expect(ProcessAllocator.Family.mimalloc.sonames.first == "libmimalloc.so.2")
        #expect(ProcessAllocator.Family.tcmalloc.sonames == ["libtcmalloc.so.4", "libtcmalloc_minimal.so.4"])
        // LLVM names Scudo's library after the architecture it was built for: this machine's.
        #expect(ProcessAllocator.Family.scudo.sonames == ["libclang_rt.scudo_standalone-\(SharedLibraries.machineArchitecture).so"])
        for family in ProcessAllocator.Family.allCases {
            #expect(family.sonames.allSatisfy { ProcessAllocator.Family(libraryPath: $0) == family })
        }
    }

    @Test("each backend names its family; a loaded library is one of its family's sonames")
    func backendsAndTheirFamilies() throws {
        #expect(BackendName.allCases.map(\.family) == [.glibc, .jemalloc, .jemalloc, .mimalloc, .tcmalloc])
        for name in [BackendName.mimalloc, .tcmalloc] {
            guard let loaded = try? BackendRegistry.allocator(name) as? DynamicLibraryAllocator else { continue }
            #expect(name.family.sonames.contains(loaded.library), "\(loaded.library) is not in \(name.family)'s sonames")
        }
    }

    @Test("`allocshim run` preloads a library from its family's sonames")
    func runPreloadsFromTheTable() {
        for backend in ProcessAllocatorChoice.Backend.allCases {
            #expect(backend.libraryNames == backend.family.sonames)
        }
    }

    @Test("the preloaded rows name their family and a soname of it (the debug build is a variant), never a directory")
    func preloadedRows() throws {
        let rows: [PreloadedAllocator] = [.glibc, .musl, .scudo, .jemalloc, .tcmalloc, .tcmallocDebug, .mimalloc]
        #expect(rows.map(\.familyName) == ["glibc", "musl", "scudo", "jemalloc", "tcmalloc", "tcmalloc", "mimalloc"])
        for row in rows {
            guard let soname = row.soname else {
                #expect(row.family == .glibc || row.family == nil)
                continue
            }
            #expect(!soname.contains("/"))
            let family = try #require(row.family)
            #expect(family.sonames.contains(soname) || row == .tcmallocDebug, "\(soname) is not in \(family)'s sonames")
        }
        // Found where the multiarch directories of this machine hold it, when installed.
        if let found = try? PreloadedAllocator.jemalloc.library() {
            #expect(found.hasSuffix("/libjemalloc.so.2"))
            #expect(FileManager.default.fileExists(atPath: found))
        }
    }
}
