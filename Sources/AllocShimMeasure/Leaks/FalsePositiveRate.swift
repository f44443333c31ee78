import AllocShim
import Foundation

/// How often real data matches the poison pattern by chance: the detector scans many
/// buffers of real-looking data (text, random "compressed" bytes, zeros, repeated bytes) at
/// random allocation offsets, and every run of at least 1 byte is counted by its length.
/// The default ``ExposureDetector/defaultMinimumRun`` is chosen from this (docs/leaks.md).
public struct FalsePositiveRate: Codable, Sendable {
    /// Buffers scanned.
    public var buffers: Int
    /// Bytes scanned over all buffers.
    public var scannedBytes: Int
    /// Runs whose length is at least `n`, for n = 1...16 (index n - 1).
    public var runsAtLeast: [Int]
    /// The shortest run length that had no false positive in this run.
    public var shortestClean: Int
    /// Scan speed, per-thread CPU time per scanned byte.
    public var scanNsPerByte: Double

    /// Scans `buffers` buffers of 1...`maximumSize` bytes cut at random from a deterministic
    /// corpus (seeded), with the process's own pattern.
    public static func measure(buffers: Int, maximumSize: Int = 2048, seed: UInt64 = 0x5EED) throws -> FalsePositiveRate {
        var generator = SplitMix64(state: seed)
        let corpus = Self.corpus(bytes: 32 << 20, generator: &generator)
        let detector = try ExposureDetector(minimumRun: 1)
        var histogram = [Int](repeating: 0, count: 17)
        var scanned = 0
        var scanNanoseconds = 0.0
        try corpus.withUnsafeBytes { all in
            for _ in 0..<buffers {
                let size = Int(generator.next() % UInt64(maximumSize)) + 1
                let start = Int(generator.next() % UInt64(all.count - size))
                let allocationOffset = Int(generator.next() % 4096)
                let window = UnsafeRawBufferPointer(rebasing: all[start..<start + size])
                let before = threadCPUNanoseconds()
                let runs = detector.scan(window, allocationOffset: allocationOffset)
                scanNanoseconds += Double(threadCPUNanoseconds() - before)
                for run in runs { histogram[Swift.min(run.length, 16)] += 1 }
                scanned += size
            }
            if all.isEmpty { throw MeasureError.failed("empty corpus") }
        }
        var atLeast = [Int](repeating: 0, count: 16)
        for n in stride(from: 16, through: 1, by: -1) { atLeast[n - 1] = histogram[n] + (n < 16 ? atLeast[n] : 0) }
        let shortestClean = (1...16).first { atLeast[$0 - 1] == 0 } ?? 17
        return FalsePositiveRate(
            buffers: buffers, scannedBytes: scanned, runsAtLeast: atLeast, shortestClean: shortestClean,
            scanNsPerByte: scanNanoseconds / Double(Swift.max(scanned, 1)))
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
