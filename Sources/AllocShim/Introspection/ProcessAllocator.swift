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
    init(_ kind: CAllocShims_ProcessAllocatorKind) {
        switch kind {
        case CAllocShims_ProcessAllocatorGlibc: self = .glibc
        case CAllocShims_ProcessAllocatorJemalloc: self = .jemalloc
        case CAllocShims_ProcessAllocatorMimalloc: self = .mimalloc
        case CAllocShims_ProcessAllocatorTcmalloc: self = .tcmalloc
        case CAllocShims_ProcessAllocatorScudo: self = .scudo
        default: self = .unknown
        }
    }
}
