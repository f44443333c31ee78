import Dispatch
import Subprocess

// ChildProcess.run is synchronous and has a dozen synchronous callers, some of them Swift Testing
// tests (which run on the cooperative pool). The only way to keep that signature over Subprocess
// is to block the calling thread until a Task finishes. This probe does that from as many
// concurrent pool tasks as the machine has cores.
final class Box: @unchecked Sendable { var status = "" }
func bridgedRun() -> String {
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    Task {
        let result = try await Subprocess.run(.path("/bin/echo"), arguments: ["hi"], input: .none, output: .string(limit: 4096), error: .discarded)
        box.status = result.standardOutput
        done.signal()
    }
    done.wait()
    return box.status
}
let tasks = Int(CommandLine.arguments.dropFirst().first ?? "2")!
await withTaskGroup(of: String.self) { group in
    for _ in 0..<tasks { group.addTask { bridgedRun() } }
    for await output in group { print("bridged run returned", output.count, "bytes") }
}
print("all \(tasks) returned")
