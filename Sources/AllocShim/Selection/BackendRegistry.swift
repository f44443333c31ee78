import CAllocShims

/// Whether a backend can be used in this process, and if not, why.
public struct BackendAvailability: Sendable, Codable, Equatable {
    /// The backend's name, a `BackendName` raw value.
    public var name: String
    /// Whether the backend can be used in this process.
    public var available: Bool
    /// Why it is unavailable (and how to fix that); `nil` when available.
    public var reason: String?
    /// The allocator's version where it reports one.
    public var version: String?

    enum CodingKeys: String, CodingKey { case name, available, reason, version }

    /// Encodes `reason` and `version` as JSON `null` when absent, so every object has every key.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(available, forKey: .available)
        try container.encode(reason, forKey: .reason)
        try container.encode(version, forKey: .version)
    }
}

/// Finds backends by name and reports which ones this process has.
public enum BackendRegistry {
    /// The allocator for `name`. Built-in backends are process-wide instances; for
    /// `jemalloc-arena` this is one shared dedicated arena (create more with `JemallocArena()`).
    public static func allocator(_ name: BackendName) throws(BackendSelectionError) -> any Allocator {
        switch name {
        case .system:
            return SystemAllocator.shared
        case .jemalloc:
            guard let jemalloc = JemallocAllocator.shared else {
                throw .unavailable(.jemalloc, reason: name.absenceReason, remedy: name.remedy)
            }
            return jemalloc
        case .jemallocArena:
            return try sharedArena.get()
        case .mimalloc:
            return try DynamicLibraryAllocator.mimalloc.get()
        case .tcmalloc:
            return try DynamicLibraryAllocator.tcmalloc.get()
        }
    }

    /// The allocator for a name given as text (from a flag or configuration file).
    public static func allocator(named value: String, source: String = "backend name") throws(BackendSelectionError)
        -> any Allocator
    {
        try allocator(BackendName(parsing: value, source: source))
    }

    /// Availability of every built-in backend, in ``BackendName`` order.
    public static func availability() -> [BackendAvailability] {
        BackendName.allCases.map(availability)
    }

    /// Availability of one backend: tries to get its allocator (loading mimalloc or tcmalloc,
    /// creating the shared arena on first use) and reports the error's description if that fails.
    public static func availability(_ name: BackendName) -> BackendAvailability {
        do {
            let allocator = try allocator(name)
            return BackendAvailability(name: name.rawValue, available: true, reason: nil, version: version(of: allocator, name))
        } catch {
            return BackendAvailability(name: name.rawValue, available: false, reason: error.description, version: nil)
        }
    }

    /// The backends this process can use.
    public static var availableBackends: [BackendName] {
        BackendName.allCases.filter { availability($0).available }
    }

    private static let sharedArena: Result<JemallocArena, BackendSelectionError> = Result {
        () throws(BackendSelectionError) in try JemallocArena()
    }

    private static func version(of allocator: any Allocator, _ name: BackendName) -> String? {
        switch name {
        case .system:
            var buffer = [CChar](repeating: 0, count: 64)
            return String(cString: CAllocShims_platform_library_version(&buffer, buffer.count))
        case .jemalloc, .jemallocArena:
            return try? JemallocControl.read("version", as: String.self)
        case .mimalloc, .tcmalloc:
            guard let dynamic = allocator as? DynamicLibraryAllocator else { return nil }
            return "\(dynamic.version) (\(dynamic.library))"
        }
    }
}
