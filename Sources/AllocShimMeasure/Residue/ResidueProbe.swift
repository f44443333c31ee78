import AllocShim
import Dispatch
import Foundation

/// Observation points for tests: called right after the secret is released and right after
/// the reuse allocation, with nothing else in between. Must not allocate.
package struct ProbeHooks: Sendable {
    /// Called right after the secret's block or buffer is released, before the scenario allocates.
    package var afterRelease: @Sendable () -> Void
    /// Called right after the reuse allocation, with the memory about to be read.
    package var afterReuse: @Sendable (UnsafeMutableRawPointer) -> Void

    /// Hooks for both observation points. Neither may allocate: that would change what the
    /// scenario measures.
    package init(afterRelease: @escaping @Sendable () -> Void, afterReuse: @escaping @Sendable (UnsafeMutableRawPointer) -> Void) {
        self.afterRelease = afterRelease
        self.afterReuse = afterReuse
    }
}

/// Plants a secret in memory from one allocator, releases it, runs a scenario's allocation
/// pattern and counts the secret's bytes still readable at their original offsets.
///
/// Between release and reuse the probe does nothing but the scenario's own allocator calls:
/// all bookkeeping lives in buffers allocated before the rounds start, results are written
/// into them by index, and nothing is formatted or logged until the rounds are over.
package final class ResidueProbe {
    /// The allocator the secret and the reuse allocations come from.
    package let allocator: any Allocator
    /// Rounds per `run`; each plants a new secret.
    package let rounds: Int
    /// Allocations per round for `spray`.
    package let sprayCount: Int
    /// Test observation points; `nil` (the default) outside tests.
    package var hooks: ProbeHooks?
    /// The secret of the current run. Every `run` draws a new random key: a secret left in
    /// freed memory by an earlier run must never count as recovered by a later one.
    private var secret = Secret(key: 0)

    /// A probe over `allocator`. Nothing is allocated until `run`.
    package init(allocator: any Allocator, rounds: Int = 200, sprayCount: Int = 64) {
        self.allocator = allocator
        self.rounds = rounds
        self.sprayCount = sprayCount
    }

    /// Runs `rounds` rounds of `scenario` at `size` bytes with a fresh random secret.
    ///
    /// Returns a result marked not applicable (and without running) when the scenario does not
    /// apply to this allocator or size. Throws `MeasureError` for a size below 1, and the
    /// allocator's or buffer's error when an allocation fails.
    package func run(_ scenario: ResidueScenario, size: Int) throws -> ResidueResult {
        guard size > 0 else { throw MeasureError.invalidArgument("invalid size \(size): sizes must be at least 1 byte") }
        let isJemalloc = allocator is JemallocAllocator || allocator is JemallocArena
        let source = try BufferSource(allocator: allocator)
        guard scenario.isApplicable(size: size, backendIsJemalloc: isJemalloc, poolThreshold: source.pool.poolingThreshold) else {
            return ResidueResult(
                backend: allocator.name, scenario: scenario.rawValue, size: size, rounds: 0, recoveredPercent: 0, minPercent: 0,
                maxPercent: 0, lostOffsets: "", applicable: false)
        }
        var generator = SystemRandomNumberGenerator()
        secret = Secret(key: generator.next())
        let ledger = Ledger(rounds: rounds, units: Secret.unitCount(size))
        defer { ledger.free() }
        switch scenario {
        case .sameSize, .differentSize, .allocZeroed, .spray:
            try runDirect(scenario, size: size, ledger: ledger)
        case .crossThread:
            try runCrossThread(size: size, ledger: ledger)
        case .unsafePooled:
            try runPooled(size: size, source: source, ledger: ledger)
        case .secure:
            try runSecure(size: size, ledger: ledger)
        case .arenaIsolated:
            try runArenaIsolated(size: size, ledger: ledger)
        }
        return ledger.summary(backend: allocator.name, scenario: scenario, size: size)
    }

    // MARK: Scenarios

    private func runDirect(_ scenario: ResidueScenario, size: Int, ledger: Ledger) throws {
        // allocshim: uninitialized — the residue probe reads reused memory on purpose, to measure what it still holds; nothing leaves the process
        let spray = UnsafeMutableBufferPointer<UnsafeMutableRawPointer>.allocate(capacity: sprayCount)
        defer { spray.deallocate() }
        let reuseSize = scenario == .differentSize ? ResidueScenario.differentSize(for: size) : size
        for round in 0..<rounds {
            // allocshim: uninitialized — the residue probe reads reused memory on purpose, to measure what it still holds; nothing leaves the process
            let planted = try allocator.allocateUninitialized(byteCount: size)
            secret.plant(round: round, into: planted, count: size)
            allocator.deallocate(planted, byteCount: size)
            hooks?.afterRelease()
            switch scenario {
            case .spray:
                // allocshim: uninitialized — the residue probe reads reused memory on purpose, to measure what it still holds; nothing leaves the process
                for index in 0..<sprayCount { spray[index] = try allocator.allocateUninitialized(byteCount: size) }
                hooks?.afterReuse(spray[0])
                var best = 0
                var bestCount = -1
                for index in 0..<sprayCount {
                    let found = secret.recovered(round: round, in: spray[index], count: size, recoveredUnits: nil)
                    if found > bestCount { (best, bestCount) = (index, found) }
                }
                ledger.record(round: round, secret: secret, memory: spray[best], count: size)
                for index in 0..<sprayCount { allocator.deallocate(spray[index], byteCount: size) }
            default:
                let reused =
                    scenario == .allocZeroed
                    // allocshim: uninitialized — the residue probe reads reused memory on purpose, to measure what it still holds; nothing leaves the process
                    ? try allocator.allocateZeroed(byteCount: reuseSize) : try allocator.allocateUninitialized(byteCount: reuseSize)
                hooks?.afterReuse(reused)
                ledger.record(round: round, secret: secret, memory: reused, count: size)
                allocator.deallocate(reused, byteCount: reuseSize)
            }
        }
    }

    private func runCrossThread(size: Int, ledger: Ledger) throws {
        let shared = CrossThreadState(allocator: allocator, secret: secret, size: size)
        let worker = Thread { shared.workerLoop() }
        worker.start()
        defer { shared.stop() }
        for round in 0..<rounds {
            shared.round = round
            shared.go.signal()
            shared.done.wait()  // the worker planted and freed the secret on its thread
            if let failure = shared.failure { throw failure }
            hooks?.afterRelease()
            // allocshim: uninitialized — the residue probe reads reused memory on purpose, to measure what it still holds; nothing leaves the process
            let reused = try allocator.allocateUninitialized(byteCount: size)
            hooks?.afterReuse(reused)
            ledger.record(round: round, secret: secret, memory: reused, count: size)
            allocator.deallocate(reused, byteCount: size)
        }
    }

    private func runPooled(size: Int, source: BufferSource, ledger: Ledger) throws {
        // While a slab has room the pool only moves forward, so the very next pooled buffer
        // never overlaps the released one. The exposure comes when the slab is full: if no
        // buffer cut from it is live, the thread cuts it again from its start (SlabPool), so
        // later buffers are carved from the same memory; a slab that was let go may also come
        // back from its allocator. An attacker keeps asking, so each round takes pooled buffers
        // (each dropped at once) until the pool has gone round three slabs' worth, and keeps
        // the best recovery, as `spray` does.
        // OwnedBytes: a pooled buffer without an object of its own, so the probe adds no
        // allocation besides the pool's own slabs. `best` is allocated before the rounds and
        // filled with memcpy, so keeping the best candidate allocates nothing either.
        let stride = (size + 7) & ~7
        let attempts = (source.pool.slabSize / stride) * 3 + 3
        // allocshim: uninitialized — the residue probe reads reused memory on purpose, to measure what it still holds; nothing leaves the process
        let best = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { best.deallocate() }
        for round in 0..<rounds {
            do {
                // allocshim: uninitialized — the residue probe reads reused memory on purpose, to measure what it still holds; nothing leaves the process
                var planted = try OwnedBytes(uninitializedCount: size, using: source)
                planted.withUnsafeMutableBytes { secret.plant(round: round, into: $0.baseAddress!, count: size) }
            }
            hooks?.afterRelease()
            var bestCount = -1
            for attempt in 0..<attempts {
                // allocshim: uninitialized — the residue probe reads reused memory on purpose, to measure what it still holds; nothing leaves the process
                var reused = try OwnedBytes(uninitializedCount: size, using: source)
                let found = reused.withUnsafeMutableBytes { bytes in
                    if attempt == 0 { hooks?.afterReuse(bytes.baseAddress!) }
                    let found = secret.recovered(round: round, in: bytes.baseAddress!, count: size, recoveredUnits: nil)
                    if found > bestCount { best.copyMemory(from: bytes.baseAddress!, byteCount: size) }
                    return found
                }
                bestCount = Swift.max(bestCount, found)
                if found == size { break }
            }
            ledger.record(round: round, secret: secret, memory: best, count: size)
        }
    }

    private func runSecure(size: Int, ledger: Ledger) throws {
        for round in 0..<rounds {
            do {
                var key = try SecureBytes(zeroedCount: size, allocator: allocator)
                key.withUnsafeMutableBytes { secret.plant(round: round, into: $0.baseAddress!, count: size) }
            }
            hooks?.afterRelease()
            // allocshim: uninitialized — the residue probe reads reused memory on purpose, to measure what it still holds; nothing leaves the process
            let reused = try allocator.allocateUninitialized(byteCount: size)
            hooks?.afterReuse(reused)
            ledger.record(round: round, secret: secret, memory: reused, count: size)
            allocator.deallocate(reused, byteCount: size)
        }
    }

    private func runArenaIsolated(size: Int, ledger: Ledger) throws {
        let tenantA = try JemallocArena()
        let tenantB = try JemallocArena()
        for round in 0..<rounds {
            // allocshim: uninitialized — the residue probe reads reused memory on purpose, to measure what it still holds; nothing leaves the process
            let planted = try tenantA.allocateUninitialized(byteCount: size)
            secret.plant(round: round, into: planted, count: size)
            tenantA.deallocate(planted, byteCount: size)
            hooks?.afterRelease()
            // allocshim: uninitialized — the residue probe reads reused memory on purpose, to measure what it still holds; nothing leaves the process
            let reused = try tenantB.allocateUninitialized(byteCount: size)
            hooks?.afterReuse(reused)
            ledger.record(round: round, secret: secret, memory: reused, count: size)
            tenantB.deallocate(reused, byteCount: size)
        }
    }
}

/// State shared with the cross-thread scenario's worker; handed over through semaphores,
/// which order every write before the other thread's read.
private final class CrossThreadState: @unchecked Sendable {
    let allocator: any Allocator
    let secret: Secret
    let size: Int
    let go = DispatchSemaphore(value: 0)
    let done = DispatchSemaphore(value: 0)
    var round = 0
    var stopping = false
    var failure: (any Error)?

    init(allocator: any Allocator, secret: Secret, size: Int) {
        self.allocator = allocator
        self.secret = secret
        self.size = size
    }

    func workerLoop() {
        while true {
            go.wait()
            if stopping { break }
            do {
                // allocshim: uninitialized — the residue probe reads reused memory on purpose, to measure what it still holds; nothing leaves the process
                let planted = try allocator.allocateUninitialized(byteCount: size)
                secret.plant(round: round, into: planted, count: size)
                allocator.deallocate(planted, byteCount: size)
            } catch {
                failure = error
            }
            done.signal()
        }
        done.signal()
    }

    func stop() {
        stopping = true
        go.signal()
        done.wait()
    }
}

/// Per-round results, in memory allocated before the rounds.
final class Ledger {
    let rounds: Int
    let units: Int
    private let recoveredBytes: UnsafeMutableBufferPointer<Int>
    private let lostInRounds: UnsafeMutableBufferPointer<Int>
    private let flags: UnsafeMutableBufferPointer<Bool>
    private var roundsWithRecovery = 0

    init(rounds: Int, units: Int) {
        self.rounds = rounds
        self.units = units
        recoveredBytes = .allocate(capacity: Swift.max(rounds, 1))
        recoveredBytes.initialize(repeating: 0)
        lostInRounds = .allocate(capacity: units)
        lostInRounds.initialize(repeating: 0)
        flags = .allocate(capacity: units)
        flags.initialize(repeating: false)
    }

    func free() {
        recoveredBytes.deallocate()
        lostInRounds.deallocate()
        flags.deallocate()
    }

    /// Compares `count` bytes of `memory` with the round's secret. Allocates nothing.
    @inline(__always)
    func record(round: Int, secret: Secret, memory: UnsafeMutableRawPointer, count: Int) {
        let found = secret.recovered(round: round, in: memory, count: count, recoveredUnits: flags)
        recoveredBytes[round] = found
        guard found > 0 else { return }
        roundsWithRecovery += 1
        for unit in 0..<units where !flags[unit] { lostInRounds[unit] += 1 }
    }

    func summary(backend: String, scenario: ResidueScenario, size: Int) -> ResidueResult {
        let percents = (0..<rounds).map { Double(recoveredBytes[$0]) * 100 / Double(size) }
        var lost: [String] = []
        if roundsWithRecovery > 0 {
            var start: Int? = nil
            for unit in 0...units {
                let isLost = unit < units && lostInRounds[unit] * 2 > roundsWithRecovery
                if isLost, start == nil { start = unit }
                if !isLost, let first = start {
                    lost.append("\(first * Secret.unit)-\(Swift.min(unit * Secret.unit, size) - 1)")
                    start = nil
                }
            }
        }
        return ResidueResult(
            backend: backend, scenario: scenario.rawValue, size: size, rounds: rounds,
            recoveredPercent: percents.reduce(0, +) / Double(Swift.max(rounds, 1)), minPercent: percents.min() ?? 0,
            maxPercent: percents.max() ?? 0, lostOffsets: lost.joined(separator: ","), applicable: true)
    }
}
