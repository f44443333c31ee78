import Foundation

/// Finding an allocator's shared library on this system, by the names in the one soname table
/// (`ProcessAllocator.Family.sonames`): for `allocshim run`'s `LD_PRELOAD` and the residue
/// table's preloaded rows alike, on whatever architecture this is.
enum SharedLibraries {
    /// The first of `names` that exists in one of `directories` (names first, then directories).
    static func find(_ names: [String], in directories: [String] = directories) -> String? {
        for name in names {
            for directory in directories {
                let path = directory + "/" + name
                if FileManager.default.fileExists(atPath: path) { return path }
            }
        }
        return nil
    }

    /// Where Debian (multiarch) and LLVM put shared libraries, in search order.
    static var directories: [String] {
        let triple = "\(machineArchitecture)-linux-gnu"
        var directories = ["/usr/lib/\(triple)", "/lib/\(triple)", "/usr/local/lib", "/usr/lib"]
        // Scudo ships inside the LLVM tree: /usr/lib/llvm-N/lib/clang/<version>/lib/linux.
        let llvmRoots = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib")) ?? [])
            .filter { $0.hasPrefix("llvm-") }.sorted().reversed()
        for root in llvmRoots {
            let clang = "/usr/lib/\(root)/lib/clang"
            for version in ((try? FileManager.default.contentsOfDirectory(atPath: clang)) ?? []).sorted().reversed() {
                directories.append("\(clang)/\(version)/lib/linux")
            }
        }
        return directories
    }

    /// The machine's architecture as in multiarch directory names (`x86_64`, `aarch64`).
    static let machineArchitecture: String = {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }()
}
