#if Hummingbird
import HTTPTypes

/// The request header that names a request's tenant, and which values it accepts.
///
/// A tenant key becomes an arena (and an AllocShimNIO route, never reused) on first use, so a
/// key from a client is checked before it reaches ``TenantArenas``: 1 to ``maximumLength``
/// characters from `A-Z a-z 0-9 . _ -`, and, when ``allowedTenants`` is set, one of those.
public struct TenantHeader: Sendable {
    /// The header `AllocShim-Tenant` (chosen so it cannot collide with an application's own
    /// tenant header unless asked to: pass that name instead).
    public static let defaultName = HTTPField.Name("AllocShim-Tenant")!
    /// The longest tenant key any header accepts (64 characters): a bound on what one request
    /// can make the registry store.
    public static let largestMaximumLength = 64

    /// `AllocShim-Tenant`, any well-formed key up to 64 characters.
    public static let standard = TenantHeader(checkedName: defaultName, maximumLength: largestMaximumLength, allowedTenants: nil)

    /// The header's name.
    public let name: HTTPField.Name
    /// The longest key accepted, in `1...largestMaximumLength`.
    public let maximumLength: Int
    /// The only keys accepted, when set; any well-formed key otherwise (then each new key may
    /// evict the least recently used tenant: set this when clients are not trusted).
    public let allowedTenants: Set<String>?

    /// A tenant header named `name` accepting keys up to `maximumLength` characters, only
    /// `allowedTenants` when given. Throws when `maximumLength` is outside
    /// `1...largestMaximumLength` or an allowed tenant is itself not a well-formed key.
    public init(
        name: HTTPField.Name = TenantHeader.defaultName,
        maximumLength: Int = TenantHeader.largestMaximumLength,
        allowedTenants: Set<String>? = nil
    ) throws(TenantHeaderError) {
        guard (1...Self.largestMaximumLength).contains(maximumLength) else {
            throw .invalidMaximumLength(maximumLength, allowed: 1...Self.largestMaximumLength)
        }
        for tenant in (allowedTenants ?? []).sorted() where !Self.isWellFormed(tenant, maximumLength: maximumLength) {
            throw .invalidAllowedTenant(tenant, rule: Self.rule(maximumLength: maximumLength))
        }
        self.init(checkedName: name, maximumLength: maximumLength, allowedTenants: allowedTenants)
    }

    private init(checkedName name: HTTPField.Name, maximumLength: Int, allowedTenants: Set<String>?) {
        self.name = name
        self.maximumLength = maximumLength
        self.allowedTenants = allowedTenants
    }

    /// What a well-formed key is, in words (error messages quote it).
    public var rule: String { Self.rule(maximumLength: maximumLength) }

    /// The tenant named by `value` (the header's value), or why it is refused.
    public func tenant(from value: String) throws(TenantRoutingError) -> String {
        if let problem = problem(with: value) { throw problem }
        if let allowedTenants, !allowedTenants.contains(value) {
            throw .unknownTenant(value, header: name.canonicalName)
        }
        return value
    }

    private func problem(with value: String) -> TenantRoutingError? {
        guard Self.isWellFormed(value, maximumLength: maximumLength) else {
            return .invalidTenant(Self.quoted(value), header: name.canonicalName, rule: rule)
        }
        return nil
    }

    private static func rule(maximumLength: Int) -> String {
        "1 to \(maximumLength) characters from A-Z a-z 0-9 . _ -"
    }

    private static func isWellFormed(_ value: String, maximumLength: Int) -> Bool {
        let utf8 = value.utf8
        // Counted in bytes: every accepted character is one byte, and the length is checked
        // before the characters, so a long hostile value costs no more than 64 bytes' work.
        return !utf8.isEmpty && utf8.count <= maximumLength && utf8.allSatisfy(isKeyByte)
    }

    private static func isKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// The value as an error message may show it: at most 80 characters, control characters
    /// escaped, so that a hostile header cannot flood or forge log lines.
    private static func quoted(_ value: String) -> String {
        let shown = value.unicodeScalars.prefix(80).map { scalar in
            scalar.properties.generalCategory == .control ? scalar.escaped(asASCII: true) : String(scalar)
        }
        return "'" + shown.joined() + (value.unicodeScalars.count > 80 ? "…" : "") + "'"
    }
}

/// Why a ``TenantHeader`` could not be made (a programming error, found at start-up).
public enum TenantHeaderError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The maximum key length is outside `allowed`.
    case invalidMaximumLength(Int, allowed: ClosedRange<Int>)
    /// An allowed tenant is not a well-formed key, so no request could ever name it.
    case invalidAllowedTenant(String, rule: String)

    /// The bad value and what is allowed.
    public var description: String {
        switch self {
        case .invalidMaximumLength(let value, let allowed):
            return "invalid maximum tenant key length \(value): it must be in \(allowed.lowerBound)...\(allowed.upperBound)"
        case .invalidAllowedTenant(let tenant, let rule):
            return "invalid allowed tenant '\(tenant)': a tenant key is \(rule)"
        }
    }
}
#endif
