import CAllocShims

/// The allocator serving this process's `malloc`: glibc, a linked or preloaded jemalloc, or a
/// preloaded mimalloc, tcmalloc or Scudo.
///
/// AllocShim's backends choose where *its* buffers come from; the Swift runtime, Foundation and
/// SwiftNIO always call `malloc`, so this is the allocator that decides most of a service's
/// memory. It is found by looking up the `malloc` symbol and asking which object defines it.
public struct ProcessAllocator: Sendable, Hashable, CustomStringConvertible {
    /// The allocator families AllocShim can recognise as the process allocator.
    public enum Family: String, Sendable, Hashable, CaseIterable {
        /// The C library's malloc (glibc ptmalloc here).
        case glibc
        /// jemalloc, linked (trait `Jemalloc`) or preloaded.
        case jemalloc
        /// mimalloc, preloaded.
        case mimalloc
        /// tcmalloc (gperftools), preloaded.
        case tcmalloc
        /// LLVM's Scudo hardened allocator, preloaded.
        case scudo
        /// A `malloc` from an object AllocShim does not recognise.
        case unknown
    }

    /// The family of the object defining `malloc`.
    public let family: Family
    /// The path of the object defining `malloc`, as the dynamic linker reports it (empty when
    /// it is unknown, e.g. a statically linked executable).
    public let definingObject: String

    /// The process allocator of this process, looked up now.
    public static var current: ProcessAllocator {
        var path = [CChar](repeating: 0, count: 4096)
        let kind = path.withUnsafeMutableBufferPointer { CAllocShims_process_allocator($0.baseAddress, $0.count) }
        let object = path.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return ProcessAllocator(family: Family(kind), definingObject: object)
    }

    /// Creates a description of a process allocator (for tests and reports; use ``current``).
    public init(family: Family, definingObject: String) {
        self.family = family
        self.definingObject = definingObject
    }

    /// For example `mimalloc (/usr/lib/x86_64-linux-gnu/libmimalloc.so.2)`.
    public var description: String {
        definingObject.isEmpty ? family.rawValue : "\(family.rawValue) (\(definingObject))"
    }
}

extension ProcessAllocator.Family {
    init(_ family: CAllocShims_AllocatorFamily) {
        switch family {
        case CAllocShims_AllocatorFamilyGlibc: self = .glibc
        case CAllocShims_AllocatorFamilyJemalloc: self = .jemalloc
        case CAllocShims_AllocatorFamilyMimalloc: self = .mimalloc
        case CAllocShims_AllocatorFamilyTcmalloc: self = .tcmalloc
        case CAllocShims_AllocatorFamilyScudo: self = .scudo
        default: self = .unknown
        }
    }

    /// The C side of the family (CAllocShimsProcessAllocator.h).
    var c: CAllocShims_AllocatorFamily {
        switch self {
        case .glibc: CAllocShims_AllocatorFamilyGlibc
        case .jemalloc: CAllocShims_AllocatorFamilyJemalloc
        case .mimalloc: CAllocShims_AllocatorFamilyMimalloc
        case .tcmalloc: CAllocShims_AllocatorFamilyTcmalloc
        case .scudo: CAllocShims_AllocatorFamilyScudo
        case .unknown: CAllocShims_AllocatorFamilyUnknown
        }
    }

    /// The family a library belongs to, by its file name (a bare name or a path).
    package init(libraryPath: String) {
        self.init(CAllocShims_allocator_family_of_path(libraryPath))
    }

    /// The shared-library names this family's allocator is found under, preferred first (none
    /// for glibc and unknown): the one soname table (CAllocShimsProcessAllocator.h), which the
    /// dlopen loaders read too.
    package var sonames: [String] {
        var names: [String] = []
        var entry = CAllocShims_allocator_family_sonames(c)!
        while let name = entry.pointee {
            names.append(String(cString: name))
            entry += 1
        }
        return names
    }
}
