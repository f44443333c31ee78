import AllocShim
import Testing

/// The promise of docs/guarantees.md "Without the Jemalloc trait": every jemalloc-only entry
/// point compiles and, in a build without jemalloc (`make test-without-jemalloc`), throws a
/// typed error naming the trait — none traps. Runs only in such a build.
@Suite("jemalloc-only API without the Jemalloc trait", .enabled(if: !JemallocControl.isAvailable))
struct JemallocAbsentTests {
    @Test("JemallocArena() throws .unavailable naming the trait and the package")
    func arena() {
        #expect {
            _ = try JemallocArena()
        } throws: { error in
            guard case .unavailable(.jemallocArena, let reason, let remedy)? = error as? BackendSelectionError else { return false }
            return reason.contains("trait Jemalloc") && remedy.contains("libjemalloc-dev")
        }
    }

    @Test("TenantArenas() throws .unavailable")
    func tenants() {
        #expect {
            _ = try TenantArenas(maximumTenants: 4)
        } throws: { error in
            guard case .unavailable(let reason)? = error as? TenantArenaError else { return false }
            return reason.contains("Jemalloc")
        }
    }

    @Test("every JemallocControl call throws .notLinked with the key")
    func control() {
        #expect(throws: JemallocControlError.notLinked(name: "epoch")) { try JemallocControl.advanceEpoch() }
        #expect(throws: JemallocControlError.notLinked(name: "epoch")) { try JemallocControl.processStatistics() }
        #expect(throws: JemallocControlError.notLinked(name: "epoch")) { try JemallocControl.arenaStatistics(0) }
        #expect(throws: JemallocControlError.notLinked(name: "arena.0.purge")) { try JemallocControl.command("arena.0.purge") }
        #expect(throws: JemallocControlError.notLinked(name: "opt.zero")) { try JemallocControl.write("opt.zero", true) }
    }

    @Test("the registry refuses both jemalloc backends with a typed error")
    func registry() {
        for name in [BackendName.jemalloc, .jemallocArena] {
            #expect(throws: BackendSelectionError.self) { try BackendRegistry.allocator(name) }
        }
    }
}
