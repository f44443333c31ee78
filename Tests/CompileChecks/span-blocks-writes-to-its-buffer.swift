// expect-error: overlapping accesses to 'owned'
// While a span of an OwnedBytes is in use, the buffer cannot be written: what the span reads
// is what the buffer holds (issue 19).
import AllocShim

func writeUnderSpan() throws -> UInt8 {
    var owned = try OwnedBytes(capacity: 8) { $0.append(repeating: 0, count: 8, as: UInt8.self) }
    var mutable = owned.mutableSpan
    owned[0] = 1
    mutable[0] = 2
    return owned[0]
}
