// Span views of the buffers (SE-0447, SE-0456, SE-0467): bounds-checked, non-escaping access to
// the bytes without a copy and without an unsafe pointer. A view borrows its buffer, so the
// compiler refuses any use of it after the buffer is gone or while the buffer is mutated
// (Tests/CompileChecks). The closure APIs (`withUnsafeBytes`) stay for C interop.
//
// Invariant for every getter: the span covers exactly the buffer's `count` initialized bytes at
// its base, and its lifetime is tied to the borrow (or exclusive access) of the buffer, which
// keeps the memory allocated (`OwnedBytes`/`SecureBytes` own it; `SharedBytes` holds its storage).

extension OwnedBytes {
    /// The bytes, read-only, as a `RawSpan` (no copy).
    public var bytes: RawSpan {
        @_lifetime(borrow self)
        borrowing get {
            ExposureMonitor.check(base, count: count, conversion: "RawSpan")
            return _overrideLifetime(RawSpan(_unsafeStart: base, byteCount: count), borrowing: self)
        }
    }

    /// The bytes, read-only, as a `Span<UInt8>` (no copy).
    public var span: Span<UInt8> {
        @_lifetime(borrow self)
        borrowing get {
            ExposureMonitor.check(base, count: count, conversion: "Span")
            let typed = Span(_unsafeStart: base.assumingMemoryBound(to: UInt8.self), count: count)
            return _overrideLifetime(typed, borrowing: self)
        }
    }

    /// The bytes, writable, as a `MutableRawSpan`; the buffer is exclusively accessed while it lives.
    public var mutableBytes: MutableRawSpan {
        @_lifetime(&self)
        mutating get {
            _overrideLifetime(MutableRawSpan(_unsafeStart: base, byteCount: count), mutating: &self)
        }
    }

    /// The bytes, writable, as a `MutableSpan<UInt8>`; the buffer is exclusively accessed while it lives.
    public var mutableSpan: MutableSpan<UInt8> {
        @_lifetime(&self)
        mutating get {
            _overrideLifetime(MutableSpan(_unsafeStart: base.assumingMemoryBound(to: UInt8.self), count: count), mutating: &self)
        }
    }
}

extension SharedBytes {
    /// This view's bytes, read-only, as a `RawSpan` (no copy). Other copies and slices of this
    /// buffer share the memory (Node's semantics) and may write it while the span is in use, on
    /// this task: hold an ``OwnedBytes`` when nothing else may write.
    public var bytes: RawSpan {
        @_lifetime(borrow self)
        borrowing get {
            checkExposure(convertingTo: "RawSpan")
            return _overrideLifetime(RawSpan(_unsafeStart: baseAddress, byteCount: count), borrowing: self)
        }
    }

    /// This view's bytes, read-only, as a `Span<UInt8>` (no copy); shared as ``bytes`` is.
    public var span: Span<UInt8> {
        @_lifetime(borrow self)
        borrowing get {
            checkExposure(convertingTo: "Span")
            let typed = Span(_unsafeStart: baseAddress.assumingMemoryBound(to: UInt8.self), count: count)
            return _overrideLifetime(typed, borrowing: self)
        }
    }

    /// This view's bytes, writable, as a `MutableRawSpan`. Exclusive for this variable only:
    /// copies and slices still reach the same bytes.
    public var mutableBytes: MutableRawSpan {
        @_lifetime(&self)
        mutating get {
            _overrideLifetime(MutableRawSpan(_unsafeStart: baseAddress, byteCount: count), mutating: &self)
        }
    }

    /// This view's bytes, writable, as a `MutableSpan<UInt8>` (exclusive for this variable only).
    public var mutableSpan: MutableSpan<UInt8> {
        @_lifetime(&self)
        mutating get {
            let typed = MutableSpan(_unsafeStart: baseAddress.assumingMemoryBound(to: UInt8.self), count: count)
            return _overrideLifetime(typed, mutating: &self)
        }
    }
}

extension SecureBytes {
    /// The secret, read-only, as a `RawSpan` (no copy). Copying bytes out of it (into an array,
    /// a string) puts them where they are not wiped.
    public var bytes: RawSpan {
        @_lifetime(borrow self)
        borrowing get { _overrideLifetime(RawSpan(_unsafeStart: base, byteCount: count), borrowing: self) }
    }

    /// The secret, read-only, as a `Span<UInt8>` (no copy).
    public var span: Span<UInt8> {
        @_lifetime(borrow self)
        borrowing get {
            _overrideLifetime(Span(_unsafeStart: base.assumingMemoryBound(to: UInt8.self), count: count), borrowing: self)
        }
    }

    /// The secret, writable, as a `MutableRawSpan` (for filling it in place: a key derivation's output).
    public var mutableBytes: MutableRawSpan {
        @_lifetime(&self)
        mutating get { _overrideLifetime(MutableRawSpan(_unsafeStart: base, byteCount: count), mutating: &self) }
    }

    /// The secret, writable, as a `MutableSpan<UInt8>`.
    public var mutableSpan: MutableSpan<UInt8> {
        @_lifetime(&self)
        mutating get {
            _overrideLifetime(MutableSpan(_unsafeStart: base.assumingMemoryBound(to: UInt8.self), count: count), mutating: &self)
        }
    }
}
