import AllocShim
import Foundation
import AllocShimTestSupport
import Testing

@Suite("Backend selection")
struct BackendSelectionTests {
    @Test("unset or empty ALLOCSHIM_BACKEND selects system")
    func defaultIsSystem() throws {
        #expect(try ProcessDefaultAllocator.resolve(environmentValue: nil).name == "system")
        #expect(try ProcessDefaultAllocator.resolve(environmentValue: "").name == "system")
    }

    @Test("every available backend is selected by its name", arguments: availableBackends)
    func validNames(_ name: BackendName) throws {
        #expect(try ProcessDefaultAllocator.resolve(environmentValue: name.rawValue).name == name.rawValue)
        #expect(try BackendRegistry.allocator(named: name.rawValue).name == name.rawValue)
    }

    @Test("an unknown name names the variable, the value and every valid name")
    func unknownName() {
        do {
            _ = try ProcessDefaultAllocator.resolve(environmentValue: "jemaloc")
            Issue.record("an unknown backend was accepted")
        } catch {
            #expect(error == .unknownBackend(value: "jemaloc", source: "ALLOCSHIM_BACKEND"))
            #expect(error.description.contains("ALLOCSHIM_BACKEND"))
            #expect(error.description.contains("'jemaloc'"))
            for valid in BackendName.allCases { #expect(error.description.contains(valid.rawValue)) }
        }
        #expect(throws: BackendSelectionError.unknownBackend(value: "System", source: "backend name")) {
            try BackendRegistry.allocator(named: "System")
        }
    }

    @Test("the default can be set in code; the registry lists all five names")
    func setInCode() throws {
        #expect(BackendRegistry.availability().map(\.name) == ["system", "jemalloc", "jemalloc-arena", "mimalloc", "tcmalloc"])
        #expect(BackendRegistry.availability(.system).available)
    }

    @Test("CLI: an unknown ALLOCSHIM_BACKEND exits non-zero with one line naming every backend")
    func cliUnknownBackend() throws {
        let result = try runAllocShim(["backends"], environment: ["ALLOCSHIM_BACKEND": "bogus"])
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        for name in BackendName.allCases { #expect(result.stderr.contains(name.rawValue)) }
        #expect(result.stderr.contains("bogus"))
    }

    @Test("CLI: a known but missing library is reported as unavailable with its Debian package")
    func cliUnavailableBackend() throws {
        let missing = ["ALLOCSHIM_MIMALLOC_LIBRARY": "/nonexistent/libmimalloc.so.2"]
        let failing = try runAllocShim(["backends"], environment: missing.merging(["ALLOCSHIM_BACKEND": "mimalloc"]) { $1 })
        #expect(failing.status != 0)
        #expect(failing.stderr.contains("unavailable"))
        #expect(failing.stderr.contains("libmimalloc"))
        #expect(failing.stderr.contains("/nonexistent/libmimalloc.so.2"))
        let listing = try runAllocShim(["backends", "--json"], environment: missing)
        #expect(listing.status == 0)
        let entries = try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(entries.map { $0["name"] as? String } == BackendName.allCases.map(\.rawValue))
        let mimalloc = entries.first { $0["name"] as? String == "mimalloc" }
        #expect(mimalloc?["available"] as? Bool == false)
        #expect((mimalloc?["reason"] as? String)?.contains("apt-get install") == true)
        let system = entries.first { $0["name"] as? String == "system" }
        #expect(system?["reason"] is NSNull)
    }
}
