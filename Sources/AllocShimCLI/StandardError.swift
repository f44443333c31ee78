import AllocShim

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing to standard error: progress and the one-line error messages.
enum StandardError {
    /// Writes `text` as is (unbuffered, so it interleaves correctly with progress lines).
    @Sendable
    static func write(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = writeToStandardError(buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 {
                    if written < 0, errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// Prints `allocshim: error: <message>` as exactly one line and exits with `status`.
    static func failAndExit(_ message: String, status: Int32) -> Never {
        write("allocshim: error: \(oneLine(message))\n")
        exit(status)
    }

    /// `message` on one line: line breaks become "; ", other control characters are escaped
    /// (a value quoted in the message cannot break the line or drive the terminal).
    static func oneLine(_ message: String) -> String {
        let lines = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters() }.filter { !$0.isEmpty }
        return lines.map { line in
            line.unicodeScalars.map { scalar in
                scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
                    ? "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}" : String(scalar)
            }.joined()
        }.joined(separator: "; ")
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

/// The C `write(2)` on descriptor 2 (a free function, so the name is not `StandardError.write`).
private func writeToStandardError(_ bytes: UnsafeMutableRawPointer, _ count: Int) -> Int {
    write(2, bytes, count)
}
