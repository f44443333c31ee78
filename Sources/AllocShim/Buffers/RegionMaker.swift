/// The one place a region comes into being: whole blocks or pool slices, zeroed or not.
enum RegionMaker {
    enum Kind { case zeroed, uninitializedPooled, uninitializedUnpooled }

    /// What an uninitialized region gets before it is handed out, read **once** per allocation:
    /// reading zero-fill and poison mode at two moments let a switch of zero-fill in between
    /// leave a buffer with neither defence (12 of 1,248 buffers in a test).
    enum Defence {
        case none, zeroFill, poison

        @inline(__always)
        static func current() throws(BufferError) -> Defence {
            do throws(BufferConfigurationError) {
                // Zero-fill wins over poison (the production defence over the staging diagnosis).
                if try BufferConfiguration.isZeroFillEnabled() { return .zeroFill }
                return try PoisonMode.isEnabled() ? .poison : .none
            } catch {
                throw .source(.configuration(error))
            }
        }

        /// Applies the defence to a fresh region of `count` bytes that the allocator did not zero.
        @inline(__always)
        func apply(_ base: UnsafeMutableRawPointer, _ count: Int) {
            switch self {
            case .none: break
            case .zeroFill: base.initializeMemory(as: UInt8.self, repeating: 0, count: count)
            case .poison: PoisonPattern.processWide.fill(base, count: count)
            }
        }
    }

    /// `source` nil: the process default's. The caller's source is used in place: binding it
    /// (`if let`) or resolving it through a function makes an owned copy, a retain/release
    /// pair per buffer (measured: about 20 ns of a 100-byte buffer's 50).
    @inline(__always)
    static func make(_ count: Int, _ kind: Kind, from source: __shared BufferSource?) throws(BufferError)
        -> (base: UnsafeMutableRawPointer, owner: RegionOwner)
    {
        // Two relaxed atomic loads when both modes are off.
        let defence: Defence = kind == .zeroed ? .none : try .current()
        // unsafelyUnwrapped: checked just before; it reads the reference without copying it.
        return source != nil
            ? try make(count, kind, defence, from: source.unsafelyUnwrapped) : try makeWithDefaultSource(count, kind, defence)
    }

    /// The default source is held by its immortal box, so it is used unretained: a retain and
    /// release per buffer cost about 10 ns (measured with `allocshim bench`, default rows).
    @inline(__always)
    static func makeWithDefaultSource(_ count: Int, _ kind: Kind, _ defence: Defence) throws(BufferError)
        -> (base: UnsafeMutableRawPointer, owner: RegionOwner)
    {
        let box: Unmanaged<ProcessDefaultAllocator.Box>
        do { box = try ProcessDefaultAllocator.currentBox() } catch { throw .source(.backend(error)) }
        guard let cached = box._withUnsafeGuaranteedRef({ $0.unretainedSource }) else {
            return try make(count, kind, defence, from: resolvedSource(nil))  // first use after a failed resolution
        }
        return try cached._withUnsafeGuaranteedRef { source in
            Result { () throws(BufferError) in try make(count, kind, defence, from: source) }
        }.get()
    }

    @inline(__always)
    static func make(_ count: Int, _ kind: Kind, _ defence: Defence, from source: BufferSource) throws(BufferError)
        -> (base: UnsafeMutableRawPointer, owner: RegionOwner)
    {
        if kind == .uninitializedPooled, count >= 0, source.pool.pools(byteCount: count) {
            let (base, slab) = try allocating { () throws(AllocationError) in try source.pool.cut(byteCount: count) }
            defence.apply(base, count)
            return (base, .slab(slab))
        }
        let zeroed = kind == .zeroed || defence == .zeroFill
        if let handle = source.fastPath {
            // The backend's own generic path, without touching the allocator object.
            let base = try allocating { () throws(AllocationError) in
                try handle._withUnsafeGuaranteedRef { backend in
                    Result { () throws(AllocationError) in
                        try backend.calls.allocate(byteCount: count, alignment: 1, zeroed: zeroed, counters: backend.counters)
                    }
                }.get()
            }
            if defence == .poison { defence.apply(base, count) }
            return (base, .fast(handle))
        }
        if let core = source.arenaCore {
            // A tenant arena's block, counted on this thread's share; the arena is not retained.
            let base = try allocating { () throws(AllocationError) in
                try core._withUnsafeGuaranteedRef { arena in
                    Result { () throws(AllocationError) in try arena.allocate(byteCount: count, alignment: 1, zeroed: zeroed) }
                }.get()
            }
            if defence == .poison { defence.apply(base, count) }
            return (base, .arena(core))
        }
        let allocator = source.allocator
        let base = try allocating { () throws(AllocationError) in
            // allocshim: uninitialized — the uninitialized buffer forms themselves; zero-fill and poison modes are applied right after
            zeroed ? try allocator.allocateZeroed(byteCount: count) : try allocator.allocateUninitialized(byteCount: count)
        }
        if defence == .poison { defence.apply(base, count) }
        return (base, .allocator(allocator))
    }
}
