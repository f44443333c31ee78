// expect-success
// The safe ways to hand bytes to another task as Data: a copy, or moving a unique owner.
import AllocShim
import Foundation

func send() async throws {
    let bytes = try SharedBytes.alloc(64)
    let copy = bytes.dataCopy()
    let moved = try OwnedBytes(zeroedCount: 64).moveIntoData()
    let reader = Task.detached { copy.count + moved.count }
    bytes[0] = 1
    _ = await reader.value
}
