#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed `mallctl` call, with the errno jemalloc returned and what it means for mallctl.
public enum JemallocControlError: Error, Equatable, Sendable, CustomStringConvertible {
    /// jemalloc is not linked into this build.
    case notLinked(name: String)
    /// mallctl returned an errno value.
    case failed(name: String, errno: Int32)
    /// The key's value has a different size than the Swift type used to read or write it.
    case typeMismatch(name: String, expectedBytes: Int, actualBytes: Int)
    /// The key's value is a C string (`const char *`) but was read as a number, or the key is
    /// not known to hold a string but was read as `String` (reading a number as a pointer
    /// would dereference it). `stringKeys` are the names (patterns with `<i>`) allowed as `String`.
    case notAString(name: String, stringKeys: [String])
    /// The key holds a C string (`const char *`); read it with `as: String.self`.
    case isAString(name: String)
    /// The key takes a pointer (extent hooks, a string, an address to look up): writing a
    /// number there would make jemalloc dereference it, so only the typed APIs may.
    case takesPointer(name: String)
    /// An arena index that `MALLOCX_ARENA` cannot carry: allowed are 0 through `limit`.
    case arenaIndexOutOfRange(index: UInt32, limit: UInt32)

    /// Names the mallctl key and the failure; for `failed`, the errno's mallctl meaning and its `strerror` text.
    public var description: String {
        switch self {
        case .notLinked(let name):
            return "mallctl(\"\(name)\"): jemalloc is not linked into this build (package trait Jemalloc is disabled)"
        case .failed(let name, let code):
            return "mallctl(\"\(name)\") failed: \(Self.meaning(of: code)) (errno \(code): \(String(cString: strerror(code))))"
        case .typeMismatch(let name, let expected, let actual):
            return "mallctl(\"\(name)\"): value is \(actual) bytes but the Swift type used has \(expected)"
        case .notAString(let name, let keys):
            return "mallctl(\"\(name)\"): not a string-valued key; String can read only \(keys.joined(separator: ", "))"
        case .isAString(let name):
            return "mallctl(\"\(name)\"): the value is a C string (const char *); read it as String"
        case .takesPointer(let name):
            return "mallctl(\"\(name)\"): the key takes a pointer; writing a number would make jemalloc dereference it"
        case .arenaIndexOutOfRange(let index, let limit):
            return "jemalloc arena index \(index) cannot be encoded in MALLOCX_ARENA: allowed are 0 to \(limit)"
        }
    }

    /// mallctl's documented meaning of each errno (jemalloc(3), "RETURN VALUES").
    static func meaning(of code: Int32) -> String {
        switch code {
        case EINVAL: return "invalid value, or a value of the wrong size"
        case ENOENT: return "no such control name (or index out of range)"
        case EPERM: return "not permitted: the key is read-only, write-only, or the operation is not allowed now"
        case EAGAIN: return "temporarily out of resources"
        case EFAULT: return "an interface with side effects failed"
        default: return "error"
        }
    }
}
