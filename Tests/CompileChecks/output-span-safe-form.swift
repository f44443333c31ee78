// expect-success
// The output-span initializers need no unsafe code, and read only what was written.
import AllocShim

func build() throws -> Int {
    let owned = try OwnedBytes(capacity: 64) { output in
        for byte in "hello".utf8 { output.append(byte) }
    }
    let shared = try SharedBytes(capacity: 64) { output in
        output.append(repeating: 0x2A, count: 3, as: UInt8.self)
    }
    let span = owned.span
    var total = 0
    for index in span.indices { total += Int(span[index]) }
    return total + shared.bytes.byteCount
}
