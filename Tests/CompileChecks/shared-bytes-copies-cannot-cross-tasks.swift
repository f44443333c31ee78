// expect-error: SendingRisksDataRace
// A copy of a SharedBytes kept here while another task writes through its twin is the race
// issue 11 (item 9) found. It must not compile.
import AllocShim

func race() async throws {
    let buffer = try SharedBytes.alloc(16)
    let task = Task.detached { try buffer.fill(.byte(1)) }
    try buffer.fill(.byte(2))
    try await task.value
}
