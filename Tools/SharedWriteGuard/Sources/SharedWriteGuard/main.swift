import AllocShim
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

// SharedWriteGuard [--length N] [--backend NAME]...
//
// For each backend (default: `system`, and `jemalloc` when this build links it), runs every
// loop of Loops.swift three times on this one thread: a warm-up of 1,000 buffers (a dozen slab
// turnovers: every lazy initialization is done after it), then N, then 2N.
// scripts/check-shared-writes.sh runs this under callgrind and subtracts the N run's counts
// from the 2N run's, so start-up costs cancel and what is left is N buffers' worth of steady
// state. Each run prints one line on standard output, in the order the runs happen (the order
// of callgrind's dumps):
//   run <TAB> symbol <TAB> form <TAB> source <TAB> backend <TAB> phase <TAB> count <TAB> checksum

/// One form the guard measures, with its loop for an explicit source and for the default one.
struct GuardForm {
    let name: String
    let symbol: String
    let usingSource: (Int, BufferSource, GuardInput) throws(BufferError) -> UInt64
    let defaultSource: (Int, GuardInput) throws(BufferError) -> UInt64
}

let forms: [GuardForm] = [
    GuardForm(name: "owned-pooled", symbol: "owned_pooled", usingSource: loopOwnedPooledUsing, defaultSource: loopOwnedPooledDefault),
    GuardForm(
        name: "owned-unpooled", symbol: "owned_unpooled", usingSource: loopOwnedUnpooledUsing, defaultSource: loopOwnedUnpooledDefault),
    GuardForm(name: "owned-zeroed", symbol: "owned_zeroed", usingSource: loopOwnedZeroedUsing, defaultSource: loopOwnedZeroedDefault),
    GuardForm(
        name: "shared-allocUnsafe", symbol: "shared_alloc_unsafe", usingSource: loopSharedAllocUnsafeUsing,
        defaultSource: loopSharedAllocUnsafeDefault),
    GuardForm(name: "shared-alloc", symbol: "shared_alloc", usingSource: loopSharedAllocUsing, defaultSource: loopSharedAllocDefault),
    GuardForm(
        name: "shared-fromArray", symbol: "shared_from_array", usingSource: loopSharedFromArrayUsing,
        defaultSource: loopSharedFromArrayDefault),
    GuardForm(name: "builder", symbol: "builder", usingSource: loopBuilderUsing, defaultSource: loopBuilderDefault),
]

/// Exit status 2 and one line naming the bad value and what is allowed, as `allocshim` does.
func usageError(_ message: String) -> Never { exitWithError(message, status: 2) }

func fail(_ message: String) -> Never { exitWithError(message, status: 1) }

func exitWithError(_ message: String, status: Int32) -> Never {
    let line = "SharedWriteGuard: error: \(message)\n"
    _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    exit(status)
}

let lengthRange = 1...10_000_000
var length = 4_000
var requestedBackends: [BackendName] = []
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--length":
        guard let value = arguments.popFirst() else { usageError("--length needs a value (allowed: \(lengthRange))") }
        guard let parsed = Int(value), lengthRange.contains(parsed) else {
            usageError("--length \(value) is not allowed (allowed: an integer in \(lengthRange))")
        }
        length = parsed
    case "--backend":
        let allowed = "system, jemalloc, jemalloc-arena"
        guard let value = arguments.popFirst() else { usageError("--backend needs a value (allowed: \(allowed))") }
        guard let name = BackendName(rawValue: value), [.system, .jemalloc, .jemallocArena].contains(name) else {
            usageError("--backend \(value) is not allowed (allowed: \(allowed))")
        }
        requestedBackends.append(name)
    default:
        usageError("unknown argument \(argument) (allowed: --length N, --backend NAME)")
    }
}

/// The backends to guard: those asked for (each must be available), or `system` and, when
/// this build links jemalloc, `jemalloc` and `jemalloc-arena` (a tenant's arena: its whole
/// blocks are counted per thread and hold the arena unretained).
func guardedSources(_ requestedBackends: [BackendName]) -> [(BackendName, BufferSource)] {
    if requestedBackends.isEmpty {
        let system: BufferSource
        do { system = try BufferSource.backend(.system) } catch { fail("backend system: \(error)") }
        guard let jemalloc = try? BufferSource.backend(.jemalloc) else { return [(.system, system)] }
        guard let arena = try? BufferSource.backend(.jemallocArena) else { fail("jemalloc is linked but an arena cannot be made") }
        return [(.system, system), (.jemalloc, jemalloc), (.jemallocArena, arena)]
    }
    return requestedBackends.map { name in
        do { return (name, try BufferSource.backend(name)) } catch {
            usageError("--backend \(name.rawValue) is unavailable here: \(error)")
        }
    }
}

let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: GuardInput.byteCount, alignment: 16)
payload.initializeMemory(as: UInt8.self, repeating: 0x5A)
let input = GuardInput(array: Array(repeating: 0x5A, count: GuardInput.byteCount), raw: UnsafeRawBufferPointer(payload))
let phases = [("warmup", 1_000), ("n", length), ("2n", 2 * length)]

// The self-test first: one retain, one release and one atomic per iteration (Loops.swift).
let shared = SharedCounter()
for (phase, count) in phases {
    var expected: UInt64 = 0
    let start = UInt64(shared.value.load(ordering: .relaxed))
    for index in 0..<UInt64(count) { expected &+= start &+ index }
    let checksum = loopControl(count, shared)
    guard checksum == expected else { fail("control read back \(checksum), expected \(expected)") }
    print(["run", "sharedwriteguard_control_loop", "control", "-", "-", phase, "\(count)", "\(checksum)"].joined(separator: "\t"))
}

for (backend, source) in guardedSources(requestedBackends) {
    // The default source follows the process default allocator; point it at this backend.
    do { try ProcessDefaultAllocator.set(named: backend.rawValue) } catch { fail("cannot make \(backend.rawValue) the default: \(error)") }
    for form in forms {
        for (sourceKind, isDefault) in [("using", false), ("default", true)] {
            for (phase, count) in phases {
                let checksum: UInt64
                do throws(BufferError) {
                    checksum = isDefault ? try form.defaultSource(count, input) : try form.usingSource(count, source, input)
                } catch {
                    fail("\(form.name) (\(sourceKind), \(backend.rawValue)) failed: \(error)")
                }
                // Every buffer's two bytes were written and read back: 2i+1 summed over the run.
                var expected: UInt64 = 0
                for index in 0..<count {
                    let value = UInt8(truncatingIfNeeded: index)
                    expected &+= UInt64(value) &+ UInt64(value &+ 1)
                }
                guard checksum == expected else {
                    fail("\(form.name) (\(sourceKind), \(backend.rawValue)) read back \(checksum), expected \(expected)")
                }
                print(
                    [
                        "run", "sharedwriteguard_\(form.symbol)_\(sourceKind)_loop", form.name, sourceKind, backend.rawValue, phase,
                        "\(count)", "\(checksum)",
                    ]
                    .joined(separator: "\t"))
            }
        }
    }
}
payload.deallocate()
