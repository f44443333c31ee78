/// The Swift alternatives as table columns, one per kind of buffer: an `alloc` row shows the
/// zeroed alternative of that kind, an unsafe row the uninitialized one (`SwiftAlternative`).
///
/// It works on `BenchResult.swiftAlternativesNsPerOp`'s keys, not on `SwiftAlternative`'s
/// cases, so that results read back from JSON show every column they hold: a report measured
/// in a build with the `NIO` trait keeps its ByteBuffer column when rewritten by one without.
enum SwiftAlternativeColumns {
    /// Column titles in the order tables show them; a key of no known kind is its own column,
    /// after these.
    static let knownTitles = ["[UInt8]", "RawBuffer", "Data", "ByteBuffer"]

    /// The column a `swiftAlternativesNsPerOp` key belongs to.
    static func title(forKey key: String) -> String {
        if key.hasPrefix("[UInt8]") { return "[UInt8]" }
        if key.hasPrefix("UnsafeMutableRawBufferPointer") { return "RawBuffer" }
        if key.hasPrefix("Data") { return "Data" }
        if key.hasPrefix("ByteBuffer") { return "ByteBuffer" }
        return key
    }

    /// The columns `results` have figures for, known ones first.
    static func titles(in results: [BenchResult]) -> [String] {
        let present = Set(results.flatMap { ($0.swiftAlternativesNsPerOp ?? [:]).keys.map(title(forKey:)) })
        return knownTitles.filter(present.contains) + present.subtracting(knownTitles).sorted()
    }

    /// `result`'s figure in the column `title`, if it has one.
    static func figure(_ result: BenchResult, title: String) -> Double? {
        result.swiftAlternativesNsPerOp?.first { self.title(forKey: $0.key) == title }?.value
    }

    /// What each column of `results` measured: its title and the alternatives' keys in it, e.g.
    /// ("Data", ["Data(count:)", "Data(capacity:)"]) (the zeroed one first, as `alloc` rows come first).
    static func legend(in results: [BenchResult]) -> [(title: String, keys: [String])] {
        titles(in: results).map { title in
            var keys: [String] = []
            for result in results {
                let inColumn = (result.swiftAlternativesNsPerOp ?? [:]).keys.sorted().filter { self.title(forKey: $0) == title }
                for key in inColumn where !keys.contains(key) { keys.append(key) }
            }
            return (title, keys)
        }
    }
}
