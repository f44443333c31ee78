// expect-error: lifetime-dependent variable 'span' escapes its scope
// A span borrows its buffer: it cannot be used once the buffer is gone (issue 19).
import AllocShim

func outlive() throws -> Int {
    let span: RawSpan
    do {
        let owned = try OwnedBytes(capacity: 8) { $0.append(1) }
        span = owned.bytes
    }
    return span.byteCount
}
