// expect-success
// Handing a buffer over and no longer touching it is fine: nothing else refers to its bytes.
import AllocShim

func handOver() async throws {
    let buffer = try SharedBytes.alloc(16)
    let task = Task.detached { try buffer.fill(.byte(1)) }
    try await task.value
}
