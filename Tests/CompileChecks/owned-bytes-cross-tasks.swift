// expect-success
// OwnedBytes is the unique owner: sending it moves it, so it may cross tasks.
import AllocShim

func move() async throws {
    var owned = try OwnedBytes(zeroedCount: 16)
    owned.withUnsafeMutableBytes { $0[0] = 1 }
    let task = Task.detached { [owned = consume owned] in owned.count }
    _ = await task.value
}
