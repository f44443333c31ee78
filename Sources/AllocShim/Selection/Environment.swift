#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The environment variables AllocShim reads, in one place.
///
/// An empty value means the same as an unset variable, for every variable: `ALLOCSHIM_BACKEND=`
/// in a deployment file selects the default instead of failing on a name `""`.
public enum EnvironmentVariable: String, CaseIterable, Sendable {
    /// Names the process-default backend (unset or empty: `system`).
    case backend = "ALLOCSHIM_BACKEND"
    /// Zero-fill mode (Node's `--zero-fill-buffers`): `1`, `true`, `yes`, `on` turn it on;
    /// `0`, `false`, `no`, `off`, empty or unset leave it off (case-insensitive).
    case zeroFill = "ALLOCSHIM_ZERO_FILL"
    /// Slab size in bytes of the uninitialized-buffer pool (default 8192, like Node's Buffer.poolSize).
    case poolSize = "ALLOCSHIM_POOL_SIZE"
    /// Path or soname of the mimalloc library to load instead of libmimalloc.so.2.
    case mimallocLibrary = "ALLOCSHIM_MIMALLOC_LIBRARY"
    /// Path or soname of the tcmalloc library to load instead of libtcmalloc.so.4.
    case tcmallocLibrary = "ALLOCSHIM_TCMALLOC_LIBRARY"

    /// The value in this process's environment, or `nil` when unset or empty.
    public var currentValue: String? {
        guard let raw = getenv(rawValue), raw.pointee != 0 else { return nil }
        return String(cString: raw)
    }

    /// Longest part of a value that ``displayed(_:)`` shows, in characters.
    public static let displayLimit = 64

    /// `value` made safe to print inside a one-line error message: control characters,
    /// backslashes and bidirectional overrides are written as Swift escapes (`\n`, `\u{1B}`),
    /// so a value cannot break the line, move the cursor, recolour a terminal or reorder the
    /// text; beyond ``displayLimit`` characters it is cut and its full length is stated.
    public static func displayed(_ value: String) -> String {
        let characters = Array(value.unicodeScalars)
        let shown = characters.prefix(displayLimit).map(escaped).joined()
        guard characters.count > displayLimit else { return shown }
        return shown + "… (\(characters.count) characters)"
    }

    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case "\\": return "\\\\"
        // C0 and C1 controls, DEL, and the bidirectional overrides that reorder what follows.
        case "\u{00}"..."\u{1F}", "\u{7F}"..."\u{9F}", "\u{202A}"..."\u{202E}", "\u{2066}"..."\u{2069}":
            return "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        default: return String(scalar)
        }
    }
}
