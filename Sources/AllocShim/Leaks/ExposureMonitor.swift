import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Exposures found where an AllocShim buffer's bytes are converted to `Data`, `String` or
/// `[UInt8]`: the edge where they leave AllocShim's hands.
public struct ExposureEvent: Sendable, Equatable {
    /// What the bytes were converted to: "Data", "String" or "[UInt8]".
    public var conversion: String
    /// The buffer's length.
    public var byteCount: Int
    /// The runs of poison found, offsets relative to the buffer.
    public var exposures: [Exposure]
}

/// Checks conversions of AllocShim buffers in poison mode and reports what it finds.
///
/// Report, not throw: the conversions (`bytes`, `unsafeDataSharingMemory()`, ...) are public API
/// that does not throw, and poison mode is a staging diagnosis that must not change the
/// service's control flow. The default handler writes one line per event to standard error;
/// ``setHandler(_:)`` routes events elsewhere (a logger, a counter, a test, or a trap).
/// With poison mode off, a conversion costs one relaxed atomic load more.
public enum ExposureMonitor {
    /// Receives every exposure found at a conversion.
    public typealias Handler = @Sendable (ExposureEvent) -> Void

    /// The current handler, boxed. Not `Mutex<Handler>`: a closure in a generic `Mutex` is
    /// re-abstracted through `withLock`'s inout and written back wrapped in one more thunk on
    /// every read, until the call chain overflows the stack (seen after ~10^5 events).
    private final class Box: Sendable {
        let handler: Handler
        init(_ handler: @escaping Handler) { self.handler = handler }
    }
    private static let current = Mutex<Box>(Box(ExposureMonitor.writeToStandardError))

    /// Routes events to `handler` from now on (replacing the standard-error writer).
    public static func setHandler(_ handler: @escaping Handler) {
        let box = Box(handler)
        current.withLock { $0 = box }
    }

    /// Restores the default: one line per event on standard error.
    public static func resetHandler() {
        setHandler(writeToStandardError)
    }

    /// The default handler.
    public static let writeToStandardError: Handler = { event in
        let line =
            "AllocShim poison: conversion to \(event.conversion) of \(event.byteCount) bytes exposes "
            + event.exposures.map(\.description).joined(separator: ", ") + "\n"
        // write(2) on descriptor 2: no shared FILE state, one call per line.
        var text = line
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    /// Scans `count` bytes at `base` when poison mode is on, and reports any exposure. An
    /// invalid `ALLOCSHIM_POISON` counts as off here: the allocation that made these bytes
    /// already reported it.
    @inline(__always)
    static func check(
        _ base: UnsafeRawPointer, count: Int, conversion: StaticString
    ) {
        guard (try? PoisonMode.isEnabled()) == true else { return }
        let exposures = ExposureDetector.standard.scan(
            UnsafeRawBufferPointer(start: base, count: count))
        guard !exposures.isEmpty else { return }
        let event = ExposureEvent(
            conversion: conversion.description, byteCount: count, exposures: exposures)
        let box = current.withLock { $0 }
        box.handler(event)
    }
}

extension SharedBytes {
    /// Runs of the poison pattern in this buffer (bytes never written since allocation, when
    /// poison mode was on at allocation), offsets relative to the buffer.
    public func exposures(detector: ExposureDetector = .standard) -> [Exposure] {
        detector.scan(UnsafeRawBufferPointer(start: baseAddress, count: count))
    }

    /// Reports exposures before the bytes are converted to `conversion` (poison mode only).
    @inline(__always)
    func checkExposure(convertingTo conversion: StaticString) {
        ExposureMonitor.check(baseAddress, count: count, conversion: conversion)
    }
}
