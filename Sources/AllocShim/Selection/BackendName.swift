/// The built-in backends, by the names used in `ALLOCSHIM_BACKEND`, the CLI and reports.
public enum BackendName: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    /// The platform malloc/calloc (glibc here).
    case system
    /// jemalloc's automatic arenas (mallocx family).
    case jemalloc
    /// A dedicated jemalloc arena.
    case jemallocArena = "jemalloc-arena"
    /// mimalloc, loaded with dlopen.
    case mimalloc
    /// tcmalloc (gperftools), loaded with dlopen.
    case tcmalloc

    /// The name as written in `ALLOCSHIM_BACKEND` (the raw value).
    public var description: String { rawValue }

    /// Every valid name, comma separated, for error messages.
    public static var validNames: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// Parses a backend name, exactly as written (names are lowercase).
    /// - Parameters:
    ///   - value: the name, e.g. "jemalloc".
    ///   - source: where the value came from, named in the error (e.g. "ALLOCSHIM_BACKEND").
    public init(parsing value: String, source: String = "backend name") throws(BackendSelectionError) {
        guard let name = BackendName(rawValue: value) else {
            throw .unknownBackend(value: value, source: source)
        }
        self = name
    }

    /// What to install (as root, on Debian) or enable when this backend is missing.
    public var remedy: String {
        switch self {
        case .system: return "nothing: the platform allocator is always present"
        case .jemalloc, .jemallocArena:
            return "install libjemalloc-dev (apt-get install libjemalloc-dev) and build with the default trait Jemalloc (without --disable-default-traits)"
        case .mimalloc: return "install libmimalloc2.0 (apt-get install libmimalloc-dev)"
        case .tcmalloc: return "install libgoogle-perftools4 (apt-get install libgoogle-perftools-dev)"
        }
    }

    /// The allocator family whose calls serve this backend (both jemalloc backends are jemalloc's;
    /// `system` is the platform's, glibc here): the one family type, which also names the
    /// process allocator, `allocshim run`'s preloads and the residue table's rows.
    package var family: ProcessAllocator.Family {
        switch self {
        case .system: .glibc
        case .jemalloc, .jemallocArena: .jemalloc
        case .mimalloc: .mimalloc
        case .tcmalloc: .tcmalloc
        }
    }

    /// Why a jemalloc backend is absent in a build without the trait.
    var absenceReason: String {
        "jemalloc is not linked into this build (package trait Jemalloc is disabled)"
    }
}

/// Why a backend could not be selected or created.
public enum BackendSelectionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A name that is not one of ``BackendName``'s.
    case unknownBackend(value: String, source: String)
    /// A known backend that this process cannot use.
    case unavailable(BackendName, reason: String, remedy: String)
    /// jemalloc refused to create a new arena (`arenas.create`).
    case arenaCreationFailed(String)

    /// One line naming the bad value, every valid name, or what to install.
    public var description: String {
        switch self {
        case .unknownBackend(let value, let source):
            return "\(source): unknown backend '\(EnvironmentVariable.displayed(value))'; valid backends are: \(BackendName.validNames)"
        case .unavailable(let name, let reason, let remedy):
            return "backend '\(name)' is unavailable: \(reason); to use it, \(remedy)"
        case .arenaCreationFailed(let reason):
            return "backend 'jemalloc-arena': could not create an arena: \(reason)"
        }
    }
}
