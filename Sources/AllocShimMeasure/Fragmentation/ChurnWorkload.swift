import AllocShim

/// The fragmentation workload: small long-lived buffers allocated between short-lived large
/// ones of varying size, plus concat-style growth — the pattern the chapter blames for RSS
/// that grows while live data does not. Deterministic (fixed seed) so backends see the same
/// sequence of requests.
struct ChurnWorkload {
    var rounds = 60
    var seed: UInt64 = 0x5EED

    /// Runs the workload on `source`; `sample` is called after every round to track RSS.
    /// Returns the long-lived buffers, so the caller decides when everything is freed.
    func run(using source: BufferSource, sample: () -> Void) throws -> [SharedBytes] {
        var random = SplitMix(state: seed)
        var longLived: [SharedBytes] = []
        longLived.reserveCapacity(rounds * 64)
        var window: [SharedBytes] = []
        for _ in 0..<rounds {
            for index in 0..<256 {
                let small = try SharedBytes.alloc(64 + Int(random.next() % 448), using: source)
                if index % 4 == 0 { longLived.append(small) }  // every 4th survives the round
                // Short-lived large buffers of varying size (16 KiB ... 4 MiB), eight alive at once.
                if index % 16 == 0 {
                    // The output-span form of allocUnsafeSlow + fill: the same unpooled block of
                    // exactly `size` bytes, every one written once, none readable before.
                    let size = 16 * 1024 + Int(random.next() % (4 << 20))
                    let byte = UInt8(truncatingIfNeeded: index)
                    let large = try SharedBytes(unpooledCapacity: size, using: source) {
                        $0.append(repeating: byte, count: size, as: UInt8.self)
                    }
                    window.append(large)
                    if window.count > 8 { window.removeFirst() }
                }
            }
            // Concat churn: a message grown chunk by chunk with Buffer.concat-style copies.
            var message = try SharedBytes.alloc(0, using: source)
            for _ in 0..<40 {
                let chunk = try SharedBytes.alloc(1024 + Int(random.next() % 3072), fill: .byte(7), using: source)
                message = try SharedBytes.concat([message, chunk], using: source)
            }
            longLived.append(try message.slice(0..<16))  // a small slice pins the whole message
            sample()
        }
        return longLived
    }
}

/// A small deterministic generator (SplitMix64), so runs are repeatable.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return splitMix64(state)
    }
}
