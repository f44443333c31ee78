import AllocShim
import AllocShimTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Environment variables")
struct EnvironmentTests {
    @Test("an empty ALLOCSHIM_* value reads as unset")
    func emptyIsUnset() throws {
        // ALLOCSHIM_POOL_SIZE: empty and unset both mean the default, so a test running in
        // parallel that reads it is not disturbed.
        let variable = EnvironmentVariable.poolSize
        let saved = variable.currentValue
        defer {
            if let saved { setenv(variable.rawValue, saved, 1) } else { unsetenv(variable.rawValue) }
        }
        try ProcessSettingsLock.exclusive {
            setenv(variable.rawValue, "", 1)
            #expect(variable.currentValue == nil)
            setenv(variable.rawValue, "4096", 1)
            #expect(variable.currentValue == "4096")
        }
    }

    @Test("an empty backend name selects the default backend")
    func emptyBackend() throws {
        #expect(try ProcessDefaultAllocator.resolve(environmentValue: "").name == BackendName.system.rawValue)
    }

    @Test("ALLOCSHIM_ZERO_FILL accepts exactly what the README lists", arguments: [
        ("1", true), ("true", true), ("YES", true), ("On", true), ("0", false), ("false", false), ("no", false), ("OFF", false), ("", false),
    ])
    func zeroFillValues(_ value: String, _ expected: Bool) throws {
        #expect(try BufferConfiguration.parseZeroFill(value) == expected)
    }

    @Test("other ALLOCSHIM_ZERO_FILL values are errors naming the value", arguments: ["2", " 1", "enabled", "1 "])
    func zeroFillRejects(_ value: String) {
        #expect(throws: BufferConfigurationError.invalidValue(
            variable: "ALLOCSHIM_ZERO_FILL", value: value, allowed: "1, true, yes, on (enable) or 0, false, no, off, empty (disable)")) {
            try BufferConfiguration.parseZeroFill(value)
        }
    }

    @Test("values in error messages are escaped: no line break, no escape sequence")
    func escaped() {
        let error = BufferConfigurationError.invalidValue(variable: "ALLOCSHIM_POOL_SIZE", value: "12\n\u{1B}[31mred\t\\", allowed: "numbers")
        #expect(error.description == "ALLOCSHIM_POOL_SIZE: invalid value '12\\n\\u{1B}[31mred\\t\\\\'; allowed: numbers")
        let backend = BackendSelectionError.unknownBackend(value: "a\u{202E}b\u{85}", source: "ALLOCSHIM_BACKEND")
        #expect(backend.description.hasPrefix("ALLOCSHIM_BACKEND: unknown backend 'a\\u{202E}b\\u{85}';"))
    }

    @Test("long values are cut, with their length stated")
    func truncated() {
        let long = String(repeating: "x", count: 5000)
        let shown = EnvironmentVariable.displayed(long)
        #expect(shown == String(repeating: "x", count: EnvironmentVariable.displayLimit) + "… (5000 characters)")
        #expect(EnvironmentVariable.displayed(String(repeating: "y", count: EnvironmentVariable.displayLimit)) == String(repeating: "y", count: 64))
    }
}
