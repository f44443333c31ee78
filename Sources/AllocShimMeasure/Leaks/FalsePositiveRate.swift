import AllocShim
import Foundation

/// How often real data matches the poison pattern by chance. The detector recognises a
/// pattern word at any byte position: 8 bytes are a word iff they equal the word whose counter
/// is their first byte (7 check bytes decide). So at every position of many buffers of
/// real-looking data (text, random "compressed" bytes, zeros, repeated bytes) this counts how
/// many leading bytes agree with that word — n = 1 is every position (the counter byte names
/// the word), n = 8 is a whole word, i.e. a false positive — and also scans each buffer with
/// the detector itself, timing it. The default ``ExposureDetector/defaultMinimumRun`` and the
/// word's 7 check bytes are judged from this (docs/leaks.md).
package struct FalsePositiveRate: Codable, Sendable {
    /// Buffers scanned.
    package var buffers: Int
    /// Bytes scanned over all buffers.
    package var scannedBytes: Int
    /// Byte positions checked (those with 8 bytes after them in their buffer).
    package var positions: Int?
    /// For n = 1...16 (index n - 1): positions whose first n bytes agree with the pattern word
    /// named by their first byte (n > 8: 0, a word is 8 bytes); n = 8 are whole chance words.
    package var runsAtLeast: [Int]
    /// Runs the detector itself reported (any length): false positives.
    package var detectorRuns: Int?
    /// The smallest n with no position agreeing on n bytes in this run.
    package var shortestClean: Int
    /// Scan speed of the detector, per-thread CPU time per scanned byte.
    package var scanNsPerByte: Double

    /// Scans `buffers` buffers of 1...`maximumSize` bytes cut at random from a deterministic
    /// corpus (seeded), with the process's own pattern.
    package static func measure(buffers: Int, maximumSize: Int = 2048, seed: UInt64 = 0x5EED) throws -> FalsePositiveRate {
        var generator = SplitMix64(state: seed)
        let corpus = Self.corpus(bytes: 32 << 20, generator: &generator)
        let detector = try ExposureDetector(minimumRun: 1)
        let pattern = detector.pattern
        var agreeing = [Int](repeating: 0, count: 9)  // index: leading bytes that agree, 1...8
        var scanned = 0
        var positions = 0
        var detectorRuns = 0
        var scanNanoseconds = 0.0
        try corpus.withUnsafeBytes { all in
            guard !all.isEmpty else { throw MeasureError.failed("empty corpus") }
            for _ in 0..<buffers {
                let size = Int(generator.next() % UInt64(maximumSize)) + 1
                let start = Int(generator.next() % UInt64(all.count - size))
                let window = UnsafeRawBufferPointer(rebasing: all[start..<start + size])
                let before = threadCPUNanoseconds()
                detectorRuns += detector.scan(window).count
                scanNanoseconds += Double(threadCPUNanoseconds() - before)
                scanned += size
                guard size >= 8 else { continue }
                for position in 0...(size - 8) {
                    let loaded = UInt64(littleEndian: window.loadUnaligned(fromByteOffset: position, as: UInt64.self))
                    // Bytes that differ from the word the first byte names; the first byte never does.
                    let difference = loaded ^ pattern.word(at: Int(loaded & 0xFF))
                    agreeing[difference == 0 ? 8 : difference.trailingZeroBitCount / 8] += 1
                }
                positions += size - 7
            }
        }
        var atLeast = [Int](repeating: 0, count: 16)
        for n in stride(from: 8, through: 1, by: -1) { atLeast[n - 1] = agreeing[n] + (n < 8 ? atLeast[n] : 0) }
        let shortestClean = (1...16).first { atLeast[$0 - 1] == 0 } ?? 17
        return FalsePositiveRate(
            buffers: buffers, scannedBytes: scanned, positions: positions, runsAtLeast: atLeast, detectorRuns: detectorRuns,
            shortestClean: shortestClean, scanNsPerByte: scanNanoseconds / Double(Swift.max(scanned, 1)))
    }

    /// Text (HTTP/JSON words), random bytes, zeros and repeated bytes in 4 KiB-ish blocks.
    static func corpus(bytes: Int, generator: inout SplitMix64) -> [UInt8] {
        let words = ["the", "user", "token", "session", "GET", "/api/v1/items", "200", "OK", "content-length:", "{\"id\":", "null,", "\r\n"]
        var corpus: [UInt8] = []
        corpus.reserveCapacity(bytes)
        var kind = 0
        while corpus.count < bytes {
            let block = Int(generator.next() % 8192) + 1
            switch kind % 4 {
            case 0:
                let end = corpus.count + block
                while corpus.count < end { corpus += Array((words[Int(generator.next() % UInt64(words.count))] + " ").utf8) }
            case 1: for _ in 0..<block { corpus.append(UInt8(truncatingIfNeeded: generator.next())) }
            case 2: corpus += [UInt8](repeating: 0, count: block)
            default: corpus += [UInt8](repeating: UInt8(truncatingIfNeeded: generator.next()), count: block)
            }
            kind += 1
        }
        return corpus
    }
}
