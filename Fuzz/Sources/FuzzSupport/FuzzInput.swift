/// The fuzzer's input bytes, read front to back as the choices of one run.
///
/// Reading past the end yields zeros rather than failing, so every input is a valid program
/// and libFuzzer's mutations (truncation included) keep meaning something.
public struct FuzzInput {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Whether every byte has been read.
    public var isExhausted: Bool { position >= bytes.count }

    /// The next byte, or 0 past the end.
    public mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// A number in `0..<bound` (bound ≥ 1) from the next byte.
    public mutating func choice(_ bound: Int) -> Int { Int(byte()) % bound }

    /// A little-endian 16-bit number from the next two bytes.
    public mutating func uint16() -> Int { Int(byte()) | Int(byte()) << 8 }

    /// Every byte not read yet.
    public mutating func remainder() -> UnsafeRawBufferPointer {
        guard position < bytes.count else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        defer { position = bytes.count }
        return UnsafeRawBufferPointer(rebasing: bytes[position...])
    }
}

/// Stops the run with `message` when `condition` is false: libFuzzer records the input that
/// got here as a crash (`crash-<sha1>`), which is the point of a failed check.
@inline(__always)
public func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition() {
        fatalError("fuzz check failed: \(message())", file: file, line: line)
    }
}
