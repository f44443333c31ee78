#if Audit
import AllocShimAudit
import Testing

/// The output-span initializers are safe by construction only while their closure appends:
/// `OutputRawSpan.withUnsafeMutableBytes { buffer, initializedCount in … }` (SE-0485) publishes
/// `initializedCount` bytes as written, exactly as `Array(unsafeUninitializedCapacity:)` does,
/// so `initializedCount = buffer.count` exposes the whole capacity (found by the h-attack probes:
/// the audit counted such a closure "safe by construction" and reported nothing).
@Suite("Audit: the output span's unsafe way out")
struct OutputSpanEscapeTests {
    @Test(
        "a count claimed through an output span's withUnsafeMutableBytes is checked like initializedCount",
        arguments: [
            "func f() throws -> OwnedBytes {\n try OwnedBytes(capacity: 100) { output in\n output.withUnsafeMutableBytes { buffer, initialized in initialized = buffer.count }\n }\n}\n",
            "func f() throws -> SharedBytes {\n try SharedBytes(unpooledCapacity: 100) { output in\n unsafe output.withUnsafeMutableBytes { _, count in count = 100 }\n }\n}\n",
            "func f() throws -> OwnedBytes {\n try OwnedBytes(capacity: 100) { $0.withUnsafeMutableBytes { $1 = $0.count } }\n}\n",
            "func f(span: inout OutputSpan<Int>) {\n span.withUnsafeMutableBufferPointer { buffer, initialized in initialized = buffer.count }\n}\n",
        ])
    func claimedCountsAreSites(source: String) {
        let findings = SourceAnalyzer().analyze(source: source, file: "escape.swift")
        #expect(findings.count == 1, "\(findings)")
        #expect(findings.first?.rule == .exposedCount, "\(findings)")
        #expect(findings.first?.verdict == .unjustified, "\(findings)")
    }

    @Test("one-parameter withUnsafeMutableBytes closures (Data, arrays, buffers) are not sites")
    func otherClosuresAreNotSites() {
        let source = """
            func f(data: inout Data, array: inout [UInt8], owned: inout OwnedBytes) {
                data.withUnsafeMutableBytes { $0[0] = 1 }
                array.withUnsafeMutableBytes { bytes in bytes[0] = 1 }
                owned.withUnsafeMutableBytes { (bytes: UnsafeMutableRawBufferPointer) in bytes[0] = 1 }
                array.withUnsafeMutableBufferPointer { $0[0] = 1 }
            }
            """
        #expect(SourceAnalyzer().analyze(source: source, file: "plain.swift").isEmpty)
    }
}
#endif
