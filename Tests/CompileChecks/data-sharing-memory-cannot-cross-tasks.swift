// expect-error: 'dataSharingMemory()' has been renamed to 'unsafeDataSharingMemory()'
// A Data aliasing a SharedBytes is Sendable while the buffer is not: a detached task reading
// the Data while this task writes the buffer was a data race in safe Swift 6 (issue 21, item 2).
// Zero-copy Data now needs the unsafe-named `unsafeDataSharingMemory()`; send `dataCopy()`.
import AllocShim
import Foundation

func race() async throws {
    let bytes = try SharedBytes.alloc(64)
    let data = bytes.dataSharingMemory()
    let reader = Task.detached { data.reduce(0) { $0 &+ $1 } }
    bytes[0] = 1
    _ = await reader.value
}
