import AllocShim
import FuzzSupport

// A model-based fuzzer of the allocator, pool, arena and tenant API.
//
// The input is a program: byte 0 sets the private source's slab size, then each operation is
// one byte of opcode followed by its operands (see `Run.step`). Every buffer the library hands
// out is recorded in a model (Model.swift) that knows what each byte must hold; after every
// step the model checks that live buffers never overlap and still hold what was written, and
// at the end of the run that the allocators' counters balance. Arena reset/destroy follow
// ArenaLifecycleRules.swift. With jemalloc linked (the non-ASan build) runs also use two
// `JemallocArena`s and a `TenantArenas`; without it (the ASan build) the other backends.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAllocator(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(UnsafeRawBufferPointer(start: data, count: size))
    var run = Run(slabSizeChoice: input.byte())
    var steps = 0
    while !input.isExhausted && steps < Run.maximumSteps {
        run.step(&input)
        steps += 1
    }
    run.finish()
    return 0
}

/// Process-wide settings each run starts from, so that runs do not depend on each other.
enum Baseline {
    static let availableBackends = BackendRegistry.availableBackends
    static let jemallocLinked = JemallocControl.isAvailable

    static func restore() {
        BufferConfiguration.setZeroFill(false)
        try! BufferConfiguration.setPoolSize(BufferConfiguration.defaultPoolSize)
        if (try? ProcessDefaultAllocator.allocator()) !== SystemAllocator.shared {
            ProcessDefaultAllocator.set(SystemAllocator.shared)
        }
    }
}

struct Run {
    static let maximumSteps = 200
    static let maximumBuffers = 48
    static let tenantNames = ["t0", "t1", "t2", "t3"]

    var sources: [ModelSource] = []
    var buffers: [ModelBuffer] = []
    var arenas: [JemallocArena?] = [nil, nil]
    var destroyedArenas: Set<Int> = []
    let tenants: TenantArenas?
    /// Every tenant arena seen, kept so its counters can be read at the end.
    var tenantArenas: [JemallocArena] = []
    var zeroFill = false
    /// Counters of process-lifetime allocators and their shared pools, at the start.
    let startCounts: [(allocator: any Allocator, counts: AllocatorStatistics, pools: [PoolAccounting])]

    init(slabSizeChoice: UInt8) {
        Baseline.restore()
        let privateSystem = try! BufferSource(allocator: SystemAllocator.shared, slabSize: 64 << Int(slabSizeChoice % 8))
        tenants = Baseline.jemallocLinked ? try! TenantArenas(maximumTenants: 2) : nil
        sources.append(ModelSource(kind: .processDefault, source: nil))
        sources.append(ModelSource(kind: .privateSystem, source: privateSystem))
        for name in Baseline.availableBackends where name != .jemallocArena {
            sources.append(ModelSource(kind: .backend(name), source: try! BufferSource.backend(name)))
        }
        startCounts = Baseline.availableBackends.filter { $0 != .jemallocArena }.map { name in
            let allocator = try! BackendRegistry.allocator(name)
            return (allocator, allocator.statistics(), [try! BufferSource.backend(name).pool.accounting])
        }
    }

    // MARK: Operations

    mutating func step(_ input: inout FuzzInput) {
        switch input.choice(16) {
        case 0, 1: allocate(&input, kind: .zeroed)
        case 2, 3: allocate(&input, kind: .unsafe)
        case 4: allocate(&input, kind: .unsafeSlow)
        case 5: allocate(&input, kind: .owned(input.choice(3)))
        case 6: allocate(&input, kind: .copyOfBytes)
        case 7: slice(&input)
        case 8: copy(&input)
        case 9: share(&input)
        case 10: writeTag(&input)
        case 11, 12: release(&input)
        case 13: arenaLifecycle(&input)
        case 14: evict(&input)
        default: changeSetting(&input)
        }
        verifyAll()
    }

    enum AllocationKind {
        case zeroed, unsafe, unsafeSlow, copyOfBytes
        /// 0: zeroed, 1: uninitialized (pooled when small), 2: uninitialized unpooled.
        case owned(Int)
    }

    /// Sizes around the pool thresholds matter most; a few are invalid on purpose.
    static func size(_ input: inout FuzzInput) -> Int {
        let choice = input.byte()
        switch choice % 8 {
        case 0: return 0
        case 1, 2: return Int(input.byte()) % 64 + 1
        case 3, 4: return input.uint16() % 4096
        case 5: return input.uint16() % 40_000
        case 6: return [31, 32, 33, 63, 64, 65, 4095, 4096, 4097, 8191, 8192][Int(input.byte()) % 11]
        default: return [-1, Int.min, AllocationRequest.maximumByteCount + 1, Int.max][Int(input.byte()) % 4]
        }
    }

    /// A source, creating arenas and tenants on first use.
    mutating func chooseSource(_ input: inout FuzzInput) -> ModelSource {
        let choice = input.byte()
        guard Baseline.jemallocLinked, choice >= 128 else { return sources[Int(choice) % sources.count] }
        if choice & 1 == 0 {
            let index = Int(choice >> 1) & 1
            if arenas[index] == nil && !destroyedArenas.contains(index) { arenas[index] = try! JemallocArena() }
            guard let arena = arenas[index] else { return sources[0] }
            // One source per arena: look it up among the sources made so far.
            if let known = sources.first(where: { if case .arena(index) = $0.kind { return true } else { return false } }) {
                return known
            }
            let source = ModelSource(kind: .arena(index), source: try! BufferSource(allocator: arena))
            sources.append(source)
            return source
        }
        let name = Run.tenantNames[Int(choice >> 1) % Run.tenantNames.count]
        do {
            let source = try tenants!.source(for: name)
            if let arena = source.allocator as? JemallocArena, !tenantArenas.contains(where: { $0 === arena }) {
                tenantArenas.append(arena)
            }
            return ModelSource(kind: .tenant(name), source: source)
        } catch {
            fuzzCheck(false, "tenant \(name): \(error)")
            return sources[0]
        }
    }

    mutating func makeRoom() {
        if buffers.count >= Run.maximumBuffers { drop(at: 0) }
    }

    mutating func allocate(_ input: inout FuzzInput, kind: AllocationKind) {
        makeRoom()
        let count = Run.size(&input)
        let modelSource = chooseSource(&input)
        let source = modelSource.source
        let origin = "\(kind) of \(count) from \(modelSource.kind)"
        var arenaDestroyed = false
        if case .arena(let index) = modelSource.kind, arenas[index]?.isDestroyed ?? true { arenaDestroyed = true }
        let contents: [UInt8] = (0..<max(0, min(count, 1 << 16))).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

        let made: Result<ModelBuffer.Handle, BufferError>
        switch kind {
        case .zeroed: made = Result { () throws(BufferError) in .shared(try SharedBytes.alloc(count, using: source)) }
        case .unsafe: made = Result { () throws(BufferError) in .shared(try SharedBytes.allocUnsafe(count, using: source)) }
        case .unsafeSlow: made = Result { () throws(BufferError) in .shared(try SharedBytes.allocUnsafeSlow(count, using: source)) }
        case .copyOfBytes:
            guard count >= 0 && count <= 1 << 16 else { return }  // no such collection to copy
            made = Result { () throws(BufferError) in .shared(try SharedBytes.from(contents, using: source)) }
        case .owned(let form):
            made = Result { () throws(BufferError) in
                switch form {
                case 0: return .owned(OwnedBox(try OwnedBytes(zeroedCount: count, using: source)))
                case 1: return .owned(OwnedBox(try OwnedBytes(uninitializedCount: count, using: source)))
                default: return .owned(OwnedBox(try OwnedBytes(uninitializedUnpooledCount: count, using: source)))
                }
            }
        }

        let invalidSize = count < 0 || count > AllocationRequest.maximumByteCount
        switch made {
        case .failure(let error):
            fuzzCheck(!error.description.isEmpty, "empty description for \(origin)")
            if invalidSize {
                switch error {
                case .allocation(.negativeSize(count)), .allocation(.sizeTooLarge(count)): return
                default: fuzzCheck(false, "\(origin): \(error), expected negativeSize or sizeTooLarge")
                }
            }
            if arenaDestroyed {
                guard case .allocation(.unusable) = error else {
                    fuzzCheck(false, "\(origin) after destroy: \(error), expected unusable")
                    return
                }
                return
            }
            // Only sizes no allocator can serve may fail otherwise (out of memory at 40 KB is a bug).
            fuzzCheck(false, "\(origin) failed: \(error)")
        case .success(let handle):
            fuzzCheck(!invalidSize, "\(origin) succeeded")
            fuzzCheck(!arenaDestroyed, "\(origin) succeeded after the arena was destroyed (issue 11 item 2)")
            if invalidSize || arenaDestroyed { return }
            record(handle, count: count, kind: kind, source: source, origin: origin, contents: contents)
        }
    }

    mutating func record(
        _ handle: ModelBuffer.Handle, count: Int, kind: AllocationKind, source: BufferSource?, origin: String, contents: [UInt8]
    ) {
        let resolved = source ?? (try! BufferSource.processDefault())
        var address: UInt = 0
        var bytes: [UInt8] = []
        var pooled = false
        switch handle {
        case .shared(let buffer):
            address = buffer.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
            bytes = buffer.copyToArray()
            pooled = buffer.isPooled
            fuzzCheck(buffer.count == count, "\(origin): count \(buffer.count)")
        case .owned(let box):
            var owned = box.bytes.take()!
            (address, bytes) = owned.withUnsafeMutableBytes { (UInt(bitPattern: $0.baseAddress), Array($0)) }
            fuzzCheck(owned.count == count, "\(origin): count \(owned.count)")
            box.bytes = consume owned
        }
        switch kind {
        case .zeroed, .owned(0):
            fuzzCheck(bytes.allSatisfy { $0 == 0 }, "\(origin): not zero-filled")
        case .copyOfBytes:
            fuzzCheck(bytes == contents, "\(origin): not a copy")
        default:
            if zeroFill { fuzzCheck(bytes.allSatisfy { $0 == 0 }, "\(origin): not zeroed in zero-fill mode") }
        }
        if case .shared = handle {
            let poolable: Bool
            switch kind {
            case .unsafe, .copyOfBytes: poolable = resolved.pool.pools(byteCount: count)
            default: poolable = false
            }
            fuzzCheck(pooled == poolable, "\(origin): isPooled \(pooled), expected \(poolable)")
        }
        let region = ModelRegion(address: address, count: count, expected: bytes, allocator: resolved.allocator, origin: origin)
        for other in buffers where other.region.overlaps(region) {
            fuzzCheck(false, "\(origin) at \(address)+\(count) overlaps live \(other.region.origin) at \(other.region.address)+\(other.region.count)")
        }
        region.references += 1
        let buffer = ModelBuffer(handle: handle, region: region, offset: 0, count: count)
        buffers.append(buffer)
        buffer.write { UInt8(truncatingIfNeeded: Int(address) &+ $0 &* 13) }  // a tag unique to this buffer
    }

    func chosenBuffer(_ input: inout FuzzInput) -> Int? {
        let choice = input.byte()
        return buffers.isEmpty ? nil : Int(choice) % buffers.count
    }

    mutating func slice(_ input: inout FuzzInput) {
        guard let index = chosenBuffer(&input) else { return }
        let first = input.uint16(), second = input.uint16()
        guard case .shared(let buffer) = buffers[index].handle else { return }
        let parent = buffers[index]
        // Mostly valid ranges; sometimes past the end or extreme, which must be a typed error.
        let (a, b) = (first % (parent.count + 1), second % (parent.count + 1))
        var range = min(a, b)..<max(a, b)
        if range.isEmpty == false && first & 0x300 == 0x300 { range = range.lowerBound..<(parent.count + 1 + second % 4) }
        if first & 0xC00 == 0xC00 {  // extremes: building the error must not overflow either
            range = [Int.min..<Int.max, (Int.max - 1)..<Int.max, Int.min..<0, -1..<parent.count][second % 4]
        }
        do {
            let slice = try buffer.slice(range)
            fuzzCheck(range.lowerBound >= 0 && range.upperBound <= parent.count, "slice \(range) of \(parent.count) bytes succeeded")
            fuzzCheck(slice.count == range.count, "slice \(range) has \(slice.count) bytes")
            makeRoom()
            parent.region.references += 1
            buffers.append(ModelBuffer(handle: .shared(slice), region: parent.region, offset: parent.offset + range.lowerBound, count: range.count))
        } catch {
            fuzzCheck(range.lowerBound < 0 || range.upperBound > parent.count, "slice \(range) of \(parent.count) bytes failed: \(error)")
            fuzzCheck(error == .rangeOutOfBounds(range, count: parent.count), "slice \(range) of \(parent.count) bytes: \(error)")
            fuzzCheck(!error.description.isEmpty, "empty description of \(error)")
        }
    }

    mutating func copy(_ input: inout FuzzInput) {
        guard let index = chosenBuffer(&input) else { return }
        let modelSource = chooseSource(&input)
        guard case .shared(let buffer) = buffers[index].handle else { return }
        if case .arena(let arena) = modelSource.kind, arenas[arena]?.isDestroyed ?? true {
            fuzzCheck((try? SharedBytes.from(buffer, using: modelSource.source)) == nil, "copy into a destroyed arena succeeded")
            return
        }
        do {
            let copy = try SharedBytes.from(buffer, using: modelSource.source)
            fuzzCheck(copy.copyToArray() == Array(buffers[index].expected), "copy differs from its original")
            fuzzCheck(!copy.sharesMemory(with: buffer) || copy.count == 0, "copy shares memory with its original")
            makeRoom()
            record(.shared(copy), count: copy.count, kind: .copyOfBytes, source: modelSource.source,
                   origin: "copy from \(modelSource.kind)", contents: copy.copyToArray())
        } catch {
            fuzzCheck(false, "copying \(buffer.count) bytes into \(modelSource.kind) failed: \(error)")
        }
    }

    mutating func share(_ input: inout FuzzInput) {
        guard let index = chosenBuffer(&input), case .owned(let box) = buffers[index].handle else { return }
        let shared = box.bytes.take()!.share()
        buffers[index].handle = .shared(shared)
    }

    mutating func writeTag(_ input: inout FuzzInput) {
        guard let index = chosenBuffer(&input) else { return }
        let tag = input.byte()
        buffers[index].write { tag &+ UInt8(truncatingIfNeeded: $0) }
    }

    mutating func release(_ input: inout FuzzInput) {
        guard let index = chosenBuffer(&input) else { return }
        drop(at: index)
    }

    mutating func drop(at index: Int) {
        let buffer = buffers.remove(at: index)
        buffer.region.references -= 1
        // `buffer` goes out of scope here: the library releases it.
    }

    mutating func arenaLifecycle(_ input: inout FuzzInput) {
        let choice = input.byte()
        guard Baseline.jemallocLinked else { return }
        let index = Int(choice) & 1
        let operation: ArenaLifecycleRules.Operation = choice & 2 == 0 ? .reset : .destroy
        guard let arena = arenas[index] else { return }
        let live = buffers.filter { $0.region.allocator === arena }.count
        switch ArenaLifecycleRules.expected(operation, liveBuffersOfArena: live, destroyed: arena.isDestroyed) {
        case .notExercised:
            return
        case .refused(let refusal):
            do {
                try perform(operation, on: arena)
                fuzzCheck(false, "arena \(operation) with \(live) live buffers succeeded, expected \(refusal)")
            } catch {
                fuzzCheck(!error.description.isEmpty, "empty description of \(error)")
                switch (refusal, error) {
                case (.destroyed, .destroyed(arena.index)):
                    break
                case (.inUse, .inUse(arena.index, let liveBlocks)):
                    // Slices share a block, and pooled buffers share a slab: at most one block each.
                    fuzzCheck(liveBlocks >= 1 && liveBlocks <= live, "arena \(operation): \(liveBlocks) live blocks for \(live) live buffers")
                default:
                    fuzzCheck(false, "arena \(operation) with \(live) live buffers: \(error), expected \(refusal)")
                }
            }
        case .succeeds(let usable):
            do {
                try perform(operation, on: arena)
            } catch {
                fuzzCheck(false, "arena \(operation) with \(live) live buffers failed: \(error)")
            }
            if !usable { destroyedArenas.insert(index) }
        }
    }

    func perform(_ operation: ArenaLifecycleRules.Operation, on arena: JemallocArena) throws(JemallocArenaError) {
        switch operation {
        case .reset: try arena.reset()
        case .destroy: try arena.destroy()
        }
    }

    mutating func evict(_ input: inout FuzzInput) {
        let choice = input.byte()
        guard let tenants else { return }
        if choice == 255 {
            tenants.evictAll()
        } else {
            tenants.evict(Run.tenantNames[Int(choice) % Run.tenantNames.count])
        }
        fuzzCheck(tenants.tenantCount <= tenants.maximumTenants, "\(tenants.tenantCount) tenants")
    }

    mutating func changeSetting(_ input: inout FuzzInput) {
        let choice = input.byte()
        switch choice % 3 {
        case 0:
            // Pools made from now on (tenant sources) take the new size; out of range is an error.
            let size = choice & 0x80 == 0 ? 64 << Int(choice >> 3 & 7) : [0, 63, -1, (64 << 20) + 1][Int(choice >> 3 & 3)]
            do {
                try BufferConfiguration.setPoolSize(size)
                fuzzCheck(BufferConfiguration.poolSizeRange.contains(size), "pool size \(size) accepted")
            } catch {
                fuzzCheck(!BufferConfiguration.poolSizeRange.contains(size), "pool size \(size) refused: \(error)")
                _ = error.description
            }
        case 1:
            let name = Baseline.availableBackends[Int(choice >> 2) % Baseline.availableBackends.count]
            guard name != .jemallocArena else { return }  // a shared arena of its own: not this model's
            ProcessDefaultAllocator.set(try! BackendRegistry.allocator(name))
        default:
            zeroFill = choice & 4 != 0
            BufferConfiguration.setZeroFill(zeroFill)
        }
    }

    // MARK: Checks

    /// Every live buffer holds what the model wrote, and no two live regions overlap.
    func verifyAll() {
        for buffer in buffers {
            let actual = buffer.actualBytes()
            fuzzCheck(actual[...] == buffer.expected, "\(buffer.region.origin) (bytes \(buffer.offset)..<\(buffer.offset + buffer.count)) no longer holds its tag")
        }
    }

    /// Releases everything, then checks the counters: each process-lifetime allocator's live
    /// bytes changed only by the slabs its shared pool still holds; each arena of the run is
    /// back to zero live bytes with as many deallocations as allocations.
    mutating func finish() {
        while !buffers.isEmpty { drop(at: buffers.count - 1) }
        // Dropping the run's own sources frees their pools' current slabs; evicting every
        // tenant drops the registry's sources (the arenas stay: `tenantArenas` holds them).
        sources.removeAll()
        tenants?.evictAll()
        let arenasOfRun = arenas.compactMap { $0 }.filter { !$0.isDestroyed } + tenantArenas
        for arena in arenasOfRun {
            let counts = arena.counters.snapshot()
            fuzzCheck(
                counts.liveBytes == 0 && counts.allocations == counts.deallocations,
                "arena \(arena.index) (\(arena.isDestroyed ? "destroyed" : "live")): \(counts.allocations) allocations, \(counts.deallocations) deallocations, \(counts.liveBytes) live bytes after every buffer is gone")
        }
        for (allocator, start, startPools) in startCounts {
            let now = allocator.statistics()
            let pool = try! BufferSource.backend(BackendName(rawValue: allocator.name)!).pool.accounting
            fuzzCheck(pool.referencedBytes == startPools[0].referencedBytes, "\(allocator.name) pool: \(pool.referencedBytes - startPools[0].referencedBytes) referenced bytes after every buffer is gone")
            let slabDelta = pool.liveSlabs - startPools[0].liveSlabs
            let liveDelta = now.liveBytes - start.liveBytes
            let blockDelta = (now.allocations - start.allocations) - (now.deallocations - start.deallocations)
            fuzzCheck(
                liveDelta == slabDelta * pool.slabSize && blockDelta == slabDelta,
                "\(allocator.name): \(blockDelta) blocks and \(liveDelta) bytes still live after every buffer is gone; its pool holds \(slabDelta) more slabs of \(pool.slabSize)")
        }
        Baseline.restore()
    }
}
