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

    public var description: String {
        switch self {
        case .notLinked(let name):
            return "mallctl(\"\(name)\"): jemalloc is not linked into this build (package trait Jemalloc is disabled)"
        case .failed(let name, let code):
            return "mallctl(\"\(name)\") failed: \(Self.meaning(of: code)) (errno \(code): \(String(cString: strerror(code))))"
        case .typeMismatch(let name, let expected, let actual):
            return "mallctl(\"\(name)\"): value is \(actual) bytes but the Swift type used has \(expected)"
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
