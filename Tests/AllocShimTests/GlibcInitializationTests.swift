import AllocShim
import CAllocShims
import Foundation
import Testing

/// glibc's allocator is set up before any thread of ours can call it (issue 21, item 11). When
/// jemalloc is the process malloc, glibc's first call used to be the `system` backend's first
/// block, made by many threads at once; glibc's unlocked set-up then gave two threads the main
/// arena on one count and the process aborted at the second one's exit
/// ("__malloc_arena_thread_freeres: a->attached_threads > 0"): 1 run in 10 with six NIO event
/// loops on two cores, at once with 16 threads on a 16-core machine. Each check runs in a fresh
/// process (an exit test), where nothing has called glibc's malloc yet.
@Suite("glibc's allocator initialization")
struct GlibcInitializationTests {
    /// Only a process whose malloc is not glibc's can reach glibc's set-up late.
    static var glibcIsNotTheProcessMalloc: Bool { CAllocShims_jemalloc_is_linked() != 0 && CAllocShims_address_sanitizer_enabled == 0 }

    @Test("glibc's main arena is set up at load, before any thread could race to set it up",
        .enabled(if: glibcIsNotTheProcessMalloc))
    func setUpAtLoad() async {
        await #expect(processExitsWith: .success) {
            // Nothing here has called glibc's malloc family: only the library's load-time set-up can
            // have given the main arena memory (reading the figures sets glibc up, with none).
            var info = CAllocShims_PlatformHeapInfo()
            precondition(CAllocShims_platform_heap_info(&info) == 1, "glibc's figures are readable")
            precondition(info.arena > 0, "glibc's allocator was not set up before our first call")
        }
    }

    @Test("many threads making their first system blocks at once, then exiting, never abort",
        .enabled(if: glibcIsNotTheProcessMalloc))
    func manyThreadsFirstCalls() async {
        for _ in 0..<10 {
            await #expect(processExitsWith: .success) { Self.sixteenFirstCallsThenExit() }
        }
    }

    /// 16 threads released at once make their first `system` block and exit.
    static func sixteenFirstCallsThenExit() {
        let ready = DispatchSemaphore(value: 0)
        let go = DispatchSemaphore(value: 0)
        let threads = (0..<16).map { _ in
            Thread {
                ready.signal()
                go.wait()
                // allocshim: uninitialized — test: only freed
                if let block = try? SystemAllocator.shared.allocateUninitialized(byteCount: 64) {
                    SystemAllocator.shared.deallocate(block, byteCount: 64)
                }
            }
        }
        for thread in threads { thread.start() }
        for _ in threads { ready.wait() }
        for _ in threads { go.signal() }
        while threads.contains(where: { !$0.isFinished }) { Thread.sleep(forTimeInterval: 0.001) }
        Thread.sleep(forTimeInterval: 0.05)  // thread exits (and glibc's per-thread clean-up) are done
    }
}
