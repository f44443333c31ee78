#if Audit
import Foundation
import AllocShimAudit
import Testing

/// One labelled snippet: the analyzer must find exactly one site with this verdict (and rule,
/// for unsafe snippets).
struct Snippet: CustomTestStringConvertible, Sendable {
    var name: String
    var source: String
    var verdict: Verdict
    var rule: Rule?
    var api: String? = nil

    var testDescription: String { name }

    static func safe(_ name: String, _ source: String, api: String? = nil) -> Snippet {
        Snippet(name: name, source: source, verdict: .fullyOverwritten, rule: nil, api: api)
    }
    static func unsafe(_ name: String, _ rule: Rule, _ source: String, api: String? = nil) -> Snippet {
        Snippet(name: name, source: source, verdict: .unjustified, rule: rule, api: api)
    }
    static func justified(_ name: String, _ source: String) -> Snippet {
        Snippet(name: name, source: source, verdict: .justified, rule: nil)
    }
}

/// Safe: every byte provably written before any other use.
let safeSnippets: [Snippet] = [
    .safe("typed pointer initialize(repeating:count:) of the capacity", """
        func f(n: Int) { let p = UnsafeMutablePointer<Int>.allocate(capacity: n); p.initialize(repeating: 0, count: n); use(p) }
        """, api: "UnsafeMutablePointer.allocate(capacity:)"),
    .safe("buffer pointer initialize(repeating:)", """
        func f() { let b = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 64); b.initialize(repeating: 0); use(b) }
        """, api: "UnsafeMutableBufferPointer.allocate(capacity:)"),
    .safe("raw pointer copyMemory of exactly count bytes", """
        func f(src: UnsafeRawPointer, count: Int) {
            let p = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 1)
            p.copyMemory(from: src, byteCount: count)
            send(p)
        }
        """, api: "UnsafeMutableRawPointer.allocate(byteCount:alignment:)"),
    .safe("raw buffer copyMemory(from:) of a source whose count sized it", """
        func f(source: UnsafeRawBufferPointer) {
            let b = UnsafeMutableRawBufferPointer.allocate(byteCount: source.count, alignment: 1)
            b.copyMemory(from: source)
            send(b)
        }
        """, api: "UnsafeMutableRawBufferPointer.allocate(byteCount:alignment:)"),
    .safe("raw initializeMemory of the byte count, with unrelated statements between", """
        func f() {
            let p = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 8)
            let label = "x"
            if label.isEmpty { print("empty") }
            p.initializeMemory(as: UInt8.self, repeating: 0, count: 128)
            use(p, label)
        }
        """),
    .safe("typed initializeMemory through the stride", """
        func f() {
            let p = UnsafeMutableRawPointer.allocate(byteCount: 16 * MemoryLayout<UInt32>.stride, alignment: 4)
            p.initializeMemory(as: UInt32.self, repeating: 0, count: 16)
            use(p)
        }
        """),
    .safe("malloc then memset of the same size, after a null check", """
        import Glibc
        func f(size: Int) {
            guard let p = malloc(size) else { return }
            memset(p, 0, size)
            use(p)
        }
        """, api: "malloc"),
    .safe("malloc, guard against nil, then memcpy", """
        func f(src: UnsafeRawPointer) {
            let p = malloc(256)
            guard p != nil else { fatalError() }
            memcpy(p, src, 256)
            use(p)
        }
        """),
    .safe("initialize(from:) of a collection whose count sized the buffer", """
        func f(values: [Int]) {
            let b = UnsafeMutableBufferPointer<Int>.allocate(capacity: values.count)
            _ = b.initialize(from: values)
            use(b)
        }
        """),
    .safe("a for loop over 0..<capacity writing every element", """
        func f() {
            let p = UnsafeMutablePointer<Int>.allocate(capacity: 10)
            for i in 0..<10 { p[i] = i * i }
            use(p)
        }
        """),
    .safe("Array(unsafeUninitializedCapacity:) sets initializedCount to the bytes written", """
        func f(fd: Int32) -> [UInt8] {
            [UInt8](unsafeUninitializedCapacity: 4096) { buffer, initializedCount in
                let n = read(fd, buffer.baseAddress, buffer.count)
                initializedCount = max(0, n)
            }
        }
        """, api: "Array(unsafeUninitializedCapacity:initializingWith:)"),
    .safe("Array(unsafeUninitializedCapacity:) appends one element at a time", """
        func f(source: [UInt8]) -> [UInt8] {
            Array(unsafeUninitializedCapacity: source.count) { buffer, count in
                for byte in source where byte != 0 {
                    buffer[count] = byte
                    count += 1
                }
            }
        }
        """),
    .safe("Array(unsafeUninitializedCapacity:) initializes the whole buffer first", """
        func f(n: Int) -> [Int] {
            Array(unsafeUninitializedCapacity: n) { buffer, count in
                buffer.initialize(repeating: 7)
                count = n
            }
        }
        """),
    .safe("String(unsafeUninitializedCapacity:) returns the count its encoder wrote", """
        func f(value: Int) -> String {
            String(unsafeUninitializedCapacity: 20) { buffer in
                let written = encode(value, into: buffer)
                return written
            }
        }
        """, api: "String(unsafeUninitializedCapacity:initializingUTF8With:)"),
    .safe("withUnsafeTemporaryAllocation initializes before use", """
        func f() {
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
                buffer.initialize(repeating: 0)
                consume(buffer)
            }
        }
        """, api: "withUnsafeTemporaryAllocation(of:capacity:_:)"),
    .safe("withUnsafeTemporaryAllocation(byteCount:) copyBytes of the full count", """
        func f(data: Data) {
            withUnsafeTemporaryAllocation(byteCount: data.count, alignment: 1) { raw in
                data.copyBytes(to: raw, count: data.count)
                consume(raw)
            }
        }
        """),
    .safe("AllocShim allocUnsafe then fill (the Node pattern)", """
        func f() throws {
            let buffer = try SharedBytes.allocUnsafe(1024)
            try buffer.fill(.byte(0))
            send(buffer)
        }
        """, api: "SharedBytes.allocUnsafe"),
    .safe("OwnedBytes(uninitializedCount:) overwritten through withUnsafeMutableBytes", """
        func f(source: UnsafeRawBufferPointer) throws {
            var bytes = try OwnedBytes(uninitializedCount: source.count)
            bytes.withUnsafeMutableBytes { $0.copyMemory(from: source) }
            send(bytes)
        }
        """, api: "OwnedBytes(uninitializedCount:)"),
    .safe("allocateUninitialized then memset of the byte count", """
        func f(allocator: some Allocator) throws {
            let p = try allocator.allocateUninitialized(byteCount: 64, alignment: 16)
            memset(p, 0, 64)
            use(p)
        }
        """, api: "Allocator.allocateUninitialized"),
    .safe("NIO writeWithUnsafeMutableBytes returns the bytes read", """
        func f(buffer: inout ByteBuffer, fd: Int32) throws {
            _ = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 4096) { pointer in
                let n = try readFully(fd, into: pointer)
                return n
            }
        }
        """, api: "ByteBuffer.writeWithUnsafeMutableBytes"),
    .safe("NIO moveWriterIndex by what a write into the writable bytes returned", """
        func f(buffer: inout ByteBuffer, fd: Int32) {
            buffer.reserveCapacity(minimumWritableBytes: 512)
            let written = buffer.withUnsafeMutableWritableBytes { read(fd, $0.baseAddress, $0.count) }
            buffer.moveWriterIndex(forwardBy: written)
        }
        """, api: "ByteBuffer.moveWriterIndex(forwardBy:)"),
    .safe("NIO moveWriterIndex by what read(2) returned into the writable bytes", """
        func f(buffer: inout ByteBuffer, fd: Int32) {
            let written = buffer.withUnsafeMutableWritableBytes { pointer in
                let n = read(fd, pointer.baseAddress, pointer.count)
                return max(0, n)
            }
            buffer.moveWriterIndex(forwardBy: written)
        }
        """, api: "ByteBuffer.moveWriterIndex(forwardBy:)"),
    .safe("NIO writeWithUnsafeMutableBytes returns what copyBytes(to:count:) copied", """
        func f(buffer: inout ByteBuffer, payload: [UInt8]) {
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 64) { pointer in
                payload.copyBytes(to: pointer, count: 64)
            }
        }
        """),
    .safe("NIO moveWriterIndex by the count a set* method wrote", """
        extension ByteBuffer {
            mutating func writeHeader(_ header: Header) -> Int {
                let written = self.setHeader(header, at: self.writerIndex)
                self.moveWriterIndex(forwardBy: written)
                return written
            }
        }
        """),
    .safe("NIO moveWriterIndex(to:) back to a saved writer index", """
        func f(buffer: inout ByteBuffer) throws {
            let saved = buffer.writerIndex
            do { try encode(into: &buffer) } catch { buffer.moveWriterIndex(to: saved); throw error }
        }
        """),
    .safe("defer that only deallocates does not count as a use", """
        func f() {
            let p = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
            defer { p.deallocate() }
            p.storeBytes(of: 0, as: UInt64.self)
            p.initializeMemory(as: UInt8.self, repeating: 0, count: 8)
            use(p)
        }
        """),
    .safe("zeroed forms are not sites; a marker-free file with only calloc has no findings, so this one counts the allocate", """
        func f() {
            let z = calloc(1, 64)
            let b = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
            b.initializeMemory(as: UInt8.self, repeating: 0)
            use(z, b)
        }
        """),
]

/// Unsafe: the chapter's bad candidates and the other ways to leave bytes unwritten.
let unsafeSnippets: [Snippet] = [
    .unsafe("conditional between allocation and write", .branchBeforeWrite, """
        func f(fast: Bool) {
            let p = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 1)
            if fast { p.initializeMemory(as: UInt8.self, repeating: 0, count: 64) }
            send(p)
        }
        """),
    .unsafe("early exit between allocation and write", .branchBeforeWrite, """
        func f(ok: Bool) -> UnsafeMutableRawPointer? {
            let p = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 1)
            guard ok else { return nil }
            p.initializeMemory(as: UInt8.self, repeating: 0, count: 64)
            return p
        }
        """),
    .unsafe("loop that may write fewer bytes than allocated", .partialLoopWrite, """
        func f(stream: InputStream) {
            let b = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1024)
            var offset = 0
            while let byte = stream.next() { b[offset] = byte; offset += 1 }
            send(b)
        }
        """),
    .unsafe("for loop with a break", .partialLoopWrite, """
        func f(values: [UInt8]) {
            let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 16)
            for i in 0..<16 { if values[i] == 0 { break }; p[i] = values[i] }
            send(p)
        }
        """),
    .unsafe("do/catch that may expose a partly written buffer", .throwBeforeWrite, """
        func f(source: Source) {
            let buffer = try! SharedBytes.allocUnsafe(4096)
            do { try source.read(into: buffer) } catch { log(error) }
            send(buffer)
        }
        """),
    .unsafe("try between allocation and write", .throwBeforeWrite, """
        func f() throws {
            let p = UnsafeMutableRawPointer.allocate(byteCount: 32, alignment: 1)
            let header = try makeHeader()
            p.copyMemory(from: header, byteCount: 32)
            send(p)
        }
        """),
    .unsafe("size that differs from the written length", .sizeMismatch, """
        func f(payload: [UInt8]) {
            let p = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 1)
            p.copyMemory(from: payload, byteCount: payload.count)
            send(p, 4096)
        }
        """),
    .unsafe("estimatedSize leak: size is a parameter, write is shorter", .sizeMismatch, """
        func encode(_ value: String, estimatedSize: Int) throws -> SharedBytes {
            let buffer = try SharedBytes.allocUnsafe(estimatedSize)
            try buffer.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: value, count: value.utf8.count)) }
            return buffer
        }
        """),
    .unsafe("estimatedSize leak: parameter-sized, returned unwritten", .untrustedSize, """
        func makeBuffer(estimatedSize: Int) throws -> SharedBytes {
            return try SharedBytes.allocUnsafe(estimatedSize)
        }
        """),
    .unsafe("decoded length sizes an uninitialized allocation", .untrustedSize, """
        func frame(reader: inout Reader) throws -> OwnedBytes {
            let length = Int(try reader.readUInt32())
            let body = try OwnedBytes(uninitializedUnpooledCount: length)
            return body
        }
        """, api: "OwnedBytes(uninitializedUnpooledCount:)"),
    .unsafe("returned before any write", .escapeBeforeWrite, """
        func f() -> UnsafeMutableRawPointer {
            let p = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 1)
            return p
        }
        """),
    .unsafe("read before written", .escapeBeforeWrite, """
        func f() -> UInt8 {
            let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 4)
            let first = p[0]
            p.initialize(repeating: 0, count: 4)
            return first
        }
        """),
    .unsafe("stored into a property", .escapeBeforeWrite, """
        final class Box { var storage: UnsafeMutableRawPointer
            init() { storage = .allocate(byteCount: 16, alignment: 16); register(storage) }
        }
        """),
    .unsafe("malloc with no write", .uninitializedAllocation, """
        func f() { let p = malloc(100) }
        """, api: "malloc"),
    .unsafe("realloc grows: the tail is uninitialized", .reallocTail, """
        func grow(_ old: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
            let p = realloc(old, 4096)
            return p
        }
        """, api: "realloc"),
    .unsafe("posix_memalign through Glibc", .uninitializedAllocation, """
        func f() {
            var p: UnsafeMutableRawPointer? = nil
            _ = posix_memalign(&p, 64, 4096)
        }
        """, api: "posix_memalign"),
    .unsafe("ManagedBuffer elements", .uninitializedAllocation, """
        final class Storage: ManagedBuffer<Int, UInt8> {}
        func f() { let s = Storage.create(minimumCapacity: 64) { _ in 0 } }
        """, api: "ManagedBuffer.create(minimumCapacity:makingHeaderWith:)"),
    .unsafe("ManagedBufferPointer elements", .uninitializedAllocation, """
        func f() { let p = ManagedBufferPointer<Int, UInt8>(bufferClass: Storage.self, minimumCapacity: 8) { _, _ in 0 } }
        """, api: "ManagedBufferPointer(bufferClass:minimumCapacity:makingHeaderWith:)"),
    .unsafe("Array initializedCount set to the capacity without writing", .exposedCount, """
        func f(n: Int) -> [UInt8] {
            Array(unsafeUninitializedCapacity: n) { buffer, count in
                count = n
            }
        }
        """),
    .unsafe("String returns its capacity after a partial write", .exposedCount, """
        func f() -> String {
            String(unsafeUninitializedCapacity: 16) { buffer in
                buffer[0] = 65
                return 16
            }
        }
        """),
    .unsafe("String's self.init(unsafeUninitializedCapacity:) in an extension returns an unproven count", .exposedCount, """
        extension String {
            init(copying big: Big) {
                self.init(unsafeUninitializedCapacity: big.count) {
                    var buffer = $0
                    for chunk in big.chunks { buffer = buffer.extracting(buffer.initialize(fromContentsOf: chunk)...) }
                    return big.count
                }
            }
        }
        """),
    .unsafe("NIO writeWithUnsafeMutableBytes claims the whole region", .exposedCount, """
        func f(buffer: inout ByteBuffer) {
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 64) { pointer in
                pointer.storeBytes(of: 1, as: UInt8.self)
                return pointer.count
            }
        }
        """),
    // A write whose length depends on the source's length (`copyBytes(to:count:)` copies
    // min(count, source.count); a `prefix` may be shorter) proves nothing about the allocated or
    // committed count (issue 21, item 4).
    .unsafe("copyBytes(to:count:) from a source of unknown count", .sizeMismatch, """
        func f(data: Data, n: Int) {
            let p = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
            data.copyBytes(to: p, count: n)
            send(p)
        }
        """),
    .unsafe("NIO writeWithUnsafeMutableBytes commits a count a short source may not fill", .exposedCount, """
        func f(buffer: inout ByteBuffer, payload: [UInt8]) {
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 64) { pointer in
                payload.copyBytes(to: pointer, count: 64)
                return 64
            }
        }
        """),
    .unsafe("NIO moveWriterIndex by a closure that copies a prefix and returns the whole count", .exposedCount, """
        func f(buffer: inout ByteBuffer, payload: [UInt8]) {
            let written = buffer.withUnsafeMutableWritableBytes { pointer in
                pointer.copyBytes(from: payload.prefix(pointer.count))
                return pointer.count
            }
            buffer.moveWriterIndex(forwardBy: written)
        }
        """),
    .unsafe("NIO moveWriterIndex inline over a prefix copy", .exposedCount, """
        func f(buffer: inout ByteBuffer, payload: [UInt8]) {
            buffer.moveWriterIndex(forwardBy: buffer.withUnsafeMutableWritableBytes { $0.copyBytes(from: payload.prefix(16)); return 16 })
        }
        """),
    .unsafe("NIO moveWriterIndex by a name that merely starts with `set`", .exposedCount, """
        func f(buffer: inout ByteBuffer, settings: [UInt8]) {
            buffer.reserveCapacity(minimumWritableBytes: settings.count)
            let n = settings.count
            buffer.moveWriterIndex(forwardBy: n)
        }
        """),
    .unsafe("NIO reserveCapacity then moveWriterIndex over unwritten bytes", .exposedCount, """
        func f(buffer: inout ByteBuffer) {
            buffer.reserveCapacity(minimumWritableBytes: 100)
            buffer.moveWriterIndex(forwardBy: 100)
        }
        """),
    .unsafe("withUnsafeTemporaryAllocation used unwritten", .escapeBeforeWrite, """
        func f() {
            withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { buffer in
                send(buffer)
            }
        }
        """, api: "withUnsafeTemporaryAllocation(byteCount:alignment:_:)"),
    .unsafe("allocUnsafeSlow with a partial write", .sizeMismatch, """
        func f() throws {
            let b = try SharedBytes.allocUnsafeSlow(16)
            try b.writeInteger(UInt32(7), at: 0, byteOrder: .big)
            b[4] = 1
            send(b)
        }
        """, api: "SharedBytes.allocUnsafeSlow"),
    .unsafe("allocateUninitialized(count:stride:) passed on", .escapeBeforeWrite, """
        func f(allocator: some Allocator) throws {
            let p = try allocator.allocateUninitialized(count: 8, stride: 4)
            hand(p)
        }
        """),
    .unsafe("marker without a reason", .emptyReason, """
        func f() {
            // allocshim: uninitialized —
            let p = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
            send(p)
        }
        """),
    .unsafe("marker with only a TODO", .emptyReason, """
        func f() {
            let p = malloc(8) // allocshim: uninitialized — TODO: why every byte is written before it is read
            send(p)
        }
        """),
    .unsafe("write in a defer-covered path: defer uses the buffer", .escapeBeforeWrite, """
        func f() throws {
            let p = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
            defer { publish(p) }
            p.initializeMemory(as: UInt8.self, repeating: 0, count: 8)
        }
        """),
]

let justifiedSnippets: [Snippet] = [
    .justified("marker above the statement", """
        func f(fd: Int32) {
            // allocshim: uninitialized — read(2) fills it and only the returned count is published
            let p = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 1)
            let n = read(fd, p, 4096)
            publish(p, n)
        }
        """),
    .justified("trailing marker with a colon separator", """
        func f() { let p = malloc(64) /* allocshim: uninitialized: the pool hands it to fillFrame */ ; pool(p) }
        """),
]

@Suite("Audit corpus")
struct CorpusTests {
    @Test(arguments: safeSnippets + unsafeSnippets + justifiedSnippets)
    func verdictMatchesLabel(_ snippet: Snippet) {
        let findings = SourceAnalyzer().analyze(source: snippet.source, file: "snippet.swift")
        try? #require(findings.count == 1, "\(findings.count) sites: \(findings.map { "\($0.api) \($0.verdict) \($0.reason)" })")
        guard findings.count == 1, let finding = findings.first else { return }
        #expect(finding.verdict == snippet.verdict, "\(finding.rule.id) \(finding.reason)")
        if let rule = snippet.rule { #expect(finding.rule == rule, "\(finding.reason)") }
        if let api = snippet.api { #expect(finding.api == api) }
        if finding.verdict == .unjustified {
            #expect(finding.suggestion != nil)
        } else {
            #expect(finding.suggestion == nil)
        }
    }

    @Test func zeroedAllocationsAreNotSites() {
        let source = """
            func f() throws {
                let a = calloc(1, 64)
                let b = try SharedBytes.alloc(64)
                let c = [UInt8](repeating: 0, count: 64)
                let d = try OwnedBytes(zeroedCount: 64)
                let e = try allocator.allocateZeroed(byteCount: 64, alignment: 8)
                let f = mallocx(64, MALLOCX_ZERO)
                let g = self.allocate(byteCount: 8, alignment: 8, zeroed: true)
            }
            """
        #expect(SourceAnalyzer().analyze(source: source, file: "z.swift").isEmpty)
    }

    @Test func justifiedKeepsTheReasonAndTheSuppressedRule() throws {
        let finding = try #require(SourceAnalyzer().analyze(source: justifiedSnippets[0].source, file: "j.swift").first)
        #expect(finding.justification == "read(2) fills it and only the returned count is published")
        #expect(finding.rule == .escapeBeforeWrite)
        #expect(finding.line == 3 && finding.column == 13)
        #expect(finding.sizeExpression == "4096")
    }
}
#endif
