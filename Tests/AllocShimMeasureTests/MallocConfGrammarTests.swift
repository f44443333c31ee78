import AllocShim
import AllocShimMeasure
import Foundation
import Testing

/// `--malloc-conf` follows jemalloc's `key:value[,key:value]...` grammar (issue 21, item 3):
/// jemalloc itself only prints "Malformed conf string" and runs with its defaults.
extension ProcessAllocatorRunTests {
    @Test(
        "well-formed MALLOC_CONF values are accepted",
        arguments: [
            "dirty_decay_ms:1000", "dirty_decay_ms:1000,muzzy_decay_ms:0,background_thread:true", "narenas:1",
            "bin_shards:1-160:16|129-512:4", "prof_prefix:/tmp/jeprof.out", "lg_tcache_max:16",
        ])
    func wellFormedConf(_ conf: String) throws {
        try ProcessAllocatorChoice.validateMallocConf(conf)
        #expect(try ProcessAllocatorChoice(backend: .jemalloc, mallocConf: conf).mallocConf == conf)
    }

    @Test(
        "malformed MALLOC_CONF values are typed errors naming the value and the grammar",
        arguments: [
            ("", "it is empty"), ("dirty_decay_ms=1000", "has no ':'"), ("a:1,", "pair 2 is empty"), (",a:1", "pair 1 is empty"),
            ("a:1,,b:2", "pair 2 is empty"), (":1", "key '' of pair 1"), ("Dirty:1", "key 'Dirty'"), ("dirty.decay:1", "key 'dirty.decay'"),
            ("narenas:", "empty value"), ("a:1 b:2", "U+20"), ("background_thread:true\u{1B}[2J", "U+1B"), ("a:\n", "U+A"),
            ("a:é", "U+E9"), (String(repeating: "a:1,", count: 300) + "a:1", "bytes long"),
        ])
    func malformedConf(_ conf: String, _ problem: String) {
        do {
            _ = try ProcessAllocatorChoice(backend: .jemalloc, mallocConf: conf)
            Issue.record("accepted \(conf.debugDescription)")
        } catch {
            guard case .malformedMallocConf(let value, let found) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(value == conf)
            #expect(found.contains(problem), "\(found)")
            #expect(error.description.contains("key:value[,key:value]..."))
            #expect(error.description.contains("'\(EnvironmentVariable.displayed(conf))'"))
            #expect(
                !error.description.unicodeScalars.contains { $0.value < 0x20 },
                "control characters in \(error.description.debugDescription)")
        }
    }

    @Test("the progress label shows MALLOC_CONF escaped, whatever path the choice came by")
    func displayedLabelEscapes() throws {
        // A decoded choice never passed init's checks.
        let json = #"{"backend":"jemalloc","mallocConf":"a:1\u001b[2J\nX"}"#
        let choice = try JSONDecoder().decode(ProcessAllocatorChoice.self, from: Data(json.utf8))
        #expect(choice.displayedLabel == "jemalloc MALLOC_CONF=a:1\\u{1B}[2J\\nX")
    }
}
