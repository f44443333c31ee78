import Foundation

/// The measurement layer's one JSON writer: pretty-printed, keys sorted (so files diff well
/// and every writer's output looks the same), ending with a newline.
package enum JSONWriter {
    /// `value` as pretty, key-sorted JSON text ending with a newline.
    package static func text(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }

    /// Writes `value` to `file` as ``text(_:)``.
    package static func write(_ value: some Encodable, to file: URL) throws {
        try text(value).write(to: file, atomically: true, encoding: .utf8)
    }
}
