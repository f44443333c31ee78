import AllocShimTestSupport
import Foundation
import Synchronization
import Testing

@testable import AllocShim

/// Zero-fill and poison mode are read once per allocation (issue 21, item 7). Before, a buffer
/// read zero-fill (off) to decide whether to zero, then read it again (now on) to decide whether
/// to poison, and got neither: 12 of 1,248 buffers came out with whatever the allocator held.
@Suite("Defence switch")
struct DefenceSwitchTests {
    @Test("switching zero-fill while allocating never leaves a buffer undefended")
    func switchingNeverLeavesABufferUndefended() throws {
        try withPoison(true) {
            let source = try BufferSource(allocator: SystemAllocator.shared)
            let stop = Atomic<Bool>(false)
            let toggler = Thread {
                var on = false
                while !stop.load(ordering: .relaxed) {
                    on.toggle()
                    BufferConfiguration.setZeroFill(on)
                }
            }
            toggler.start()
            defer { stop.store(true, ordering: .relaxed) }
            var undefended = 0
            var made = 0
            let deadline = Date().addingTimeInterval(1)
            while made < 200_000 && (made < 2_000 || Date() < deadline) {
                for size in [24, 100, 3000, 5000] {  // pooled and unpooled (half of an 8 KiB slab)
                    // Garbage first, so that memory the next buffer reuses is neither zero nor pattern.
                    // allocshim: uninitialized — test: filled with garbage at once, then dropped
                    try OwnedBytes(uninitializedUnpooledCount: size, using: source).share().fill(.byte(0x5A))
                    // allocshim: uninitialized — test: only inspected, to prove a defence was applied
                    let buffer = try SharedBytes.allocUnsafe(size, using: source)
                    made += 1
                    let bytes = buffer.withUnsafeBytes { Array($0) }
                    let zeroed = bytes.allSatisfy { $0 == 0 }
                    let exposed = ExposureDetector.standard.scan(bytes).reduce(0) { $0 + $1.length }
                    let poisoned = exposed >= bytes.count / 2
                    if !zeroed && !poisoned { undefended += 1 }
                }
            }
            stop.store(true, ordering: .relaxed)
            while !toggler.isFinished { Thread.sleep(forTimeInterval: 0.001) }
            #expect(undefended == 0, "\(undefended) of \(made) buffers were neither zeroed nor poisoned")
        }
    }
}
