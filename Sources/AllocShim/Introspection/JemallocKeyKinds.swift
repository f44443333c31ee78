/// Which mallctl keys hold or take pointers, from jemalloc 5.3's manual (jemalloc(3),
/// "MALLCTL NAMESPACE"), so that a caller's type can never make jemalloc (or us) treat a number
/// as an address.
///
/// Why a table: mallctl checks only the *size* of a value, and a `const char *`, a `size_t`
/// and an `Int` are all 8 bytes. Reading `arenas.page` as a string would dereference the page
/// size; writing a number to `arena.<i>.extent_hooks` would make jemalloc call through it.
/// Numbers are safe the other way round (jemalloc never copies more than the buffer we pass,
/// and a size mismatch is its EINVAL), so only pointer-valued keys need to be known.
enum JemallocKeyKinds {
    /// Keys whose value is a NUL-terminated `const char *` that can be read. `<i>` stands for
    /// an arena index.
    static let readableStrings: [String] = [
        "version", "config.malloc_conf", "opt.metadata_thp", "opt.dss", "opt.percpu_arena",
        "opt.stats_print_opts", "opt.stats_interval_opts", "opt.junk", "opt.thp", "opt.prof_prefix",
        "opt.zero_realloc", "thread.prof.name", "arena.<i>.dss", "stats.arenas.<i>.dss",
    ]

    /// Keys whose written value is a pointer (strings, hooks, addresses). Read-only string keys
    /// are not listed: jemalloc refuses writes to them (EPERM) before looking at the value.
    static let pointerWrites: [String] = [
        "thread.prof.name", "arena.<i>.dss", "arena.<i>.extent_hooks", "arenas.create", "arenas.lookup",
        "prof.dump", "prof.prefix", "prof.log_start",
    ]

    static func isReadableString(_ name: String) -> Bool {
        readableStrings.contains { matches(name, pattern: $0) }
    }

    /// Whether writing a number to `name` could hand jemalloc a pointer. Every `experimental.*`
    /// key counts: they are undocumented and several take pointers to structures or callbacks.
    static func takesPointer(_ name: String) -> Bool {
        name.hasPrefix("experimental.") || pointerWrites.contains { matches(name, pattern: $0) }
    }

    /// `pattern` with each `<i>` component matching a decimal index.
    static func matches(_ name: String, pattern: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        let wanted = pattern.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == wanted.count else { return false }
        return zip(parts, wanted).allSatisfy { part, want in
            want == "<i>" ? (!part.isEmpty && part.allSatisfy { $0.isASCII && $0.isNumber }) : part == want
        }
    }
}
