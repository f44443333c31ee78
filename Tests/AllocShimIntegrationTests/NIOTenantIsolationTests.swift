#if NIO
// Tenant routes under hostile lifetimes and concurrency (issue 11, items 4–6): allocators kept
// after their tenant's eviction, evictions racing allocation, several event loops while tenants
// churn. Each test is bounded to a few seconds.
@testable import AllocShim
@testable import AllocShimNIO
import AllocShimTestSupport
import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// Where a NIO buffer's block lives, read from the 16-byte header AllocShimNIO puts in front of
/// it (the route or the tenant arena core that made it) and, for jemalloc blocks, from jemalloc
/// itself (`arenas.lookup`).
private struct BlockOrigin {
    /// The route's allocator, for a block a route made (not a tenant's).
    let allocator: (any Allocator)?
    /// The tenant arena's core, for a tenant's block.
    let arenaCore: ArenaCore?
    /// Set when the route wipes on release: the fallback for evicted or unroutable tenants.
    let isFallback: Bool
    /// jemalloc's arena of the block, when it was made by a jemalloc arena.
    let arenaIndex: UInt32?

    init(of buffer: inout ByteBuffer) {
        let header = buffer.withVeryUnsafeMutableBytes { $0.baseAddress! - NIORouteTable.headerSize }
        switch NIORouteTable.maker(ofHeader: header) {
        case .arena(let core):
            (allocator, arenaCore, isFallback) = (nil, core.takeUnretainedValue(), false)
            arenaIndex = JemallocArenaLookup.arenaIndex(of: header)
        case .route(let route):
            let route = route.takeUnretainedValue()
            (allocator, arenaCore, isFallback) = (route.allocator, nil, route.wipesOnRelease)
            arenaIndex = route.allocator is JemallocArena ? JemallocArenaLookup.arenaIndex(of: header) : nil
        }
    }

    /// Whether `arena` made the block.
    func isMade(by arena: JemallocArena) -> Bool { arenaCore === arena.core || allocator === arena }

    /// Who made it, for messages.
    var makerName: String { allocator?.name ?? "jemalloc-arena \(arenaCore.map { String($0.index) } ?? "?")" }
}

/// An 8-byte pattern that only tenant `index` writes.
private func tag(_ index: Int) -> UInt64 { 0xA11C_5417_0000_0000 | UInt64(index) }

/// The tenants whose tags occur in `bytes` (8-byte aligned words).
private func tagsFound(in bytes: UnsafeRawBufferPointer) -> Set<Int> {
    var found = Set<Int>()
    var offset = 0
    while offset + 8 <= bytes.count {
        let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        if word & 0xFFFF_FFFF_0000_0000 == 0xA11C_5417_0000_0000 { found.insert(Int(word & 0xFFFF_FFFF)) }
        offset += 8
    }
    return found
}

@Suite("SwiftNIO tenant routes under attack", .enabled(if: JemallocControl.isAvailable))
struct NIOTenantIsolationTests {
    /// Issue 11 item 4. Before the fix, a route registered for a tenant evicted between
    /// `arena(for:)` and the registration was never retired: within a second every slot held a
    /// dead tenant's arena, and `tooManyRoutes` was thrown forever.
    @Test("racing evictions leave no route behind: arenas go, new allocators can still be made", .timeLimit(.minutes(1)))
    func noRouteLeaksUnderRace() throws {
        let tenants = try TenantArenas(maximumTenants: 2)
        let evictedArenas = NIOLockedValueBox<[Weak<JemallocArena>]>([])
        tenants.onEviction(key: "test") { _, arena in evictedArenas.withLockedValue { $0.append(Weak(arena)) } }
        let keys = (0..<8).map { "racer-\($0)" }
        let deadline = DispatchTime.now().uptimeNanoseconds + 1_000_000_000
        let failures = NIOLockedValueBox<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            var round = worker
            while DispatchTime.now().uptimeNanoseconds < deadline {
                round += 1
                do {
                    let allocator = try tenants.byteBufferAllocator(for: keys[round % keys.count])
                    var buffer = allocator.buffer(capacity: 64)
                    buffer.writeString("round \(round)")
                } catch {
                    failures.withLockedValue { $0.append("\(error)") }
                    return
                }
            }
        }
        #expect(failures.withLockedValue { $0 }.isEmpty, "byteBufferAllocator(for:) failed under the race")
        tenants.evictAll()
        let survivors = evictedArenas.withLockedValue { $0.filter { $0.value != nil }.count }
        #expect(survivors == 0, "\(survivors) evicted arenas are still held by NIO routes")
        #expect(NIORouteTable.filledTenantSlots(of: tenants) == 0, "a slot still routes to an evicted tenant")
        #expect(throws: Never.self, "no route left for a new allocator") { _ = try ByteBufferAllocator.allocShim(JemallocArena()) }
        #expect(throws: Never.self) { _ = try tenants.byteBufferAllocator(for: "after-the-race").buffer(capacity: 8) }
    }

    /// Issue 11 item 5. Before the fix, an emptied slot went to the next tenants once the
    /// other free slots were used up: an allocator kept from an evicted tenant then drew from
    /// (and could read freed bytes of) another tenant's arena.
    @Test("an allocator kept after its tenant's eviction never reaches another tenant's arena or bytes", .timeLimit(.minutes(1)))
    func keptAllocatorsStayIsolated() throws {
        try ProcessSettingsLock.exclusive {  // uninitialized blocks must keep their old bytes to be checked
            let tenants = try TenantArenas(maximumTenants: 2)
            var arenasOf: [String: [JemallocArena]] = [:]  // kept alive: identities and indices stay unique
            var kept: [(index: Int, name: String, allocator: ByteBufferAllocator)] = []
            var violations: [String] = []

            func check(_ buffer: inout ByteBuffer, owner: Int, name: String) {
                let origin = BlockOrigin(of: &buffer)
                if origin.isFallback {
                    let foreign = buffer.withVeryUnsafeBytes { tagsFound(in: $0) }
                    if !foreign.isEmpty { violations.append("\(name): fallback block holds tags \(foreign)") }
                    return
                }
                let own = arenasOf[name, default: []]
                guard own.contains(where: { origin.isMade(by: $0) }) else {
                    violations.append("\(name): block made by \(origin.makerName), not by its own arena")
                    return
                }
                let ownIndices = own.map(\.index)
                if let index = origin.arenaIndex, !ownIndices.contains(index) {
                    violations.append("\(name): jemalloc says the block lies in arena \(index), not in \(ownIndices)")
                }
                let foreign = buffer.withVeryUnsafeBytes { tagsFound(in: $0) }.subtracting([owner])
                if !foreign.isEmpty { violations.append("\(name): read bytes written by tenants \(foreign.sorted())") }
            }

            for round in 0..<90 {
                let name = "churn-\(round)"
                let allocator = try tenants.byteBufferAllocator(for: name)
                arenasOf[name, default: []].append(try tenants.arena(for: name))
                kept.append((round, name, allocator))
                // Every kept allocator, evicted or not, allocates now: write its tag and free.
                for (index, owner, old) in kept {
                    var buffer = old.buffer(capacity: 256)
                    check(&buffer, owner: index, name: owner)
                    buffer.withVeryUnsafeMutableBytes { bytes in
                        for offset in stride(from: 0, to: bytes.count - 7, by: 8) {
                            bytes.storeBytes(of: tag(index), toByteOffset: offset, as: UInt64.self)
                        }
                    }
                }
                if violations.count > 10 { break }
            }
            #expect(violations.isEmpty, "\(violations.prefix(10))")
        }
    }

    /// Issue 11 item 6. Before the fix, growing a buffer on the fallback route went through
    /// `realloc`, which freed the old block without wiping it: the next allocation of that size
    /// from glibc recovered the tenant's bytes.
    @Test("growing a buffer on the fallback route wipes the block it leaves", .timeLimit(.minutes(1)))
    func fallbackReallocationWipes() throws {
        let tenants = try TenantArenas(maximumTenants: 1)
        let stale = try tenants.byteBufferAllocator(for: "leaver")
        tenants.evict("leaver")  // `stale` is now on the fallback route
        let secret: UInt8 = 0xC5
        var moves = 0
        var recovered = 0
        for _ in 0..<20 {
            var grown = stale.buffer(capacity: 256)
            #expect(BlockOrigin(of: &grown).isFallback)
            grown.writeRepeatingByte(secret, count: 256)
            let blocker = stale.buffer(capacity: 256)  // most likely right behind: realloc cannot grow in place
            let before = grown.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
            grown.writeRepeatingByte(secret, count: 512)  // capacity 256 -> 1024: reallocate
            let after = grown.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
            withExtendedLifetime(blocker) {}
            guard before != after else { continue }
            moves += 1
            // The old block (256 bytes plus the header) went back to glibc: take that size again.
            let blockSize = 256 + NIORouteTable.headerSize
            let probes = try (0..<4).map { _ in try SystemAllocator.shared.allocateUninitialized(byteCount: blockSize) }
            for probe in probes {
                let bytes = UnsafeRawBufferPointer(start: probe + 16, count: blockSize - 16)  // glibc reuses the first 16
                if bytes.filter({ $0 == secret }).count >= 64 { recovered += 1 }
                SystemAllocator.shared.deallocate(probe, byteCount: blockSize)
            }
        }
        #expect(moves > 0, "no reallocation moved its block: the test proved nothing")
        #expect(recovered == 0, "the tenant's bytes were recovered from \(recovered) freed blocks")
    }

    /// Slots are never recycled, so a flood of tenant names must end in the fallback, not in
    /// an error (the denial of service of issue 11 item 4) and not in another tenant's arena.
    /// Filling all 1024 slots would starve the other tests of this process: a child process does it.
    @Test("once every slot is taken, new tenants are served from the fallback and old ones keep their arenas", .timeLimit(.minutes(1)))
    func exhaustedSlotsFailClosed() async {
        await #expect(processExitsWith: .success) {
            let tenants = try TenantArenas(maximumTenants: 2)
            func origin(_ tenant: String) throws -> BlockOrigin {
                var buffer = try tenants.byteBufferAllocator(for: tenant).buffer(capacity: 32)
                buffer.writeString(tenant)
                return BlockOrigin(of: &buffer)
            }
            for index in 0..<NIORouteTable.capacity {
                let made = try origin("flood-\(index)")
                guard !made.isFallback, made.arenaCore != nil else { fatalError("tenant \(index) had no arena of its own") }
            }
            guard try origin("one-too-many").isFallback else { fatalError("a tenant beyond the slots was not given the fallback") }
            guard try !origin("flood-0").isFallback else { fatalError("a returning tenant lost its slot") }
            do {
                _ = try ByteBufferAllocator.allocShim(SystemAllocator.shared)
                fatalError("a plain allocator was routed with every slot taken")
            } catch {
                guard (error as? NIOAllocatorError) == .tooManyRoutes(limit: NIORouteTable.capacity) else { fatalError("\(error)") }
            }
        }
    }

    /// Several event loops serve several tenants over loopback while another thread evicts
    /// and recreates tenants: every echoed byte is right, no block is in another live tenant's
    /// arena, and every evicted arena is gone once the connections are.
    @Test("NIO allocators on several event loops while tenants churn", .timeLimit(.minutes(1)))
    func eventLoopsWhileTenantsChurn() async throws {
        let tenantCount = 6
        let tenants = try TenantArenas(maximumTenants: 3)
        let evictedArenas = NIOLockedValueBox<[Weak<JemallocArena>]>([])
        tenants.onEviction(key: "test") { _, arena in evictedArenas.withLockedValue { $0.append(Weak(arena)) } }
        let violations = NIOLockedValueBox<[String]>([])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 3)

        /// Echoes each read through the allocator of the tenant named by the read's first byte.
        final class TenantEcho: ChannelInboundHandler, Sendable {
            typealias InboundIn = ByteBuffer
            typealias OutboundOut = ByteBuffer
            let tenants: TenantArenas
            let violations: NIOLockedValueBox<[String]>
            init(_ tenants: TenantArenas, _ violations: NIOLockedValueBox<[String]>) { (self.tenants, self.violations) = (tenants, violations) }

            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                var inbound = unwrapInboundIn(data)
                guard let first = inbound.getInteger(at: inbound.readerIndex, as: UInt8.self) else { return }
                let name = "loop-tenant-\(first)"
                do {
                    var copy = try tenants.byteBufferAllocator(for: name).buffer(capacity: inbound.readableBytes)
                    copy.writeBuffer(&inbound)
                    let origin = BlockOrigin(of: &copy)
                    if let index = origin.arenaIndex {
                        // Another live tenant's arena is alive, and so is this block's: equal indices mean the same arena.
                        for other in tenants.snapshot() where other.tenant != name && other.arenaIndex == index {
                            violations.withLockedValue { $0.append("\(name)'s block lies in \(other.tenant)'s arena \(index)") }
                        }
                    }
                    context.writeAndFlush(wrapOutboundOut(copy), promise: nil)
                } catch {
                    violations.withLockedValue { $0.append("\(name): \(error)") }
                    context.close(promise: nil)
                }
            }
        }

        /// Collects echoed bytes and checks each is the client's own.
        final class Collector: ChannelInboundHandler, Sendable {
            typealias InboundIn = ByteBuffer
            let expected: Int
            let value: UInt8
            let received = NIOLockedValueBox(0)
            let done: EventLoopPromise<Void>
            let violations: NIOLockedValueBox<[String]>
            init(expected: Int, value: UInt8, done: EventLoopPromise<Void>, violations: NIOLockedValueBox<[String]>) {
                (self.expected, self.value, self.done, self.violations) = (expected, value, done, violations)
            }
            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                let buffer = unwrapInboundIn(data)
                if buffer.readableBytesView.contains(where: { $0 != value }) {
                    violations.withLockedValue { $0.append("client \(value) received another client's bytes") }
                }
                let total = received.withLockedValue { $0 += buffer.readableBytes; return $0 }
                if total >= expected { done.succeed(()) }
            }
        }

        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { [tenants, violations] channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(TenantEcho(tenants, violations)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()

        let churning = ManagedAtomicFlag()
        let churn = Task.detached {
            var round = 0
            while !churning.isSet {
                round += 1
                if round % 3 == 0 { tenants.evict("loop-tenant-\(round % tenantCount)") }
                _ = try? tenants.arena(for: "bystander-\(round % 4)")  // pushes loop tenants out (LRU)
                await Task.yield()
            }
            return round
        }

        let chunk = 4096
        let chunks = 40
        var clients: [Channel] = []
        var finished: [EventLoopFuture<Void>] = []
        for client in 0..<tenantCount {
            let loop = group.next()
            let done = loop.makePromise(of: Void.self)
            let value = UInt8(client)
            let channel = try await ClientBootstrap(group: loop)
                .channelInitializer { [violations] channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            Collector(expected: chunk * chunks, value: value, done: done, violations: violations))
                    }
                }
                .connect(to: server.localAddress!).get()
            clients.append(channel)
            finished.append(done.futureResult)
        }
        for _ in 0..<chunks {
            for (client, channel) in clients.enumerated() {
                channel.write(ByteBuffer(repeating: UInt8(client), count: chunk), promise: nil)
                channel.flush()
            }
        }
        for future in finished { try await future.get() }
        churning.set()
        let churnRounds = await churn.value
        for channel in clients { try await channel.close() }
        try await server.close()
        try await group.shutdownGracefully()

        #expect(violations.withLockedValue { $0 }.isEmpty, "\(violations.withLockedValue { $0.prefix(10) })")
        #expect(churnRounds > 0)
        tenants.evictAll()
        let survivors = evictedArenas.withLockedValue { $0.filter { $0.value != nil }.count }
        #expect(survivors == 0, "\(survivors) evicted arenas outlived every buffer and connection")
        #expect(NIORouteTable.filledTenantSlots(of: tenants) == 0, "a slot still routes to an evicted tenant")
    }
}

/// A weak reference that can sit in an array.
private struct Weak<Object: AnyObject>: @unchecked Sendable {  // read only under the box's lock
    weak var value: Object?
    init(_ value: Object) { self.value = value }
}

/// A one-way flag between the test and its churning task.
private final class ManagedAtomicFlag: Sendable {
    private let box = NIOLockedValueBox(false)
    var isSet: Bool { box.withLockedValue { $0 } }
    func set() { box.withLockedValue { $0 = true } }
}
#endif
