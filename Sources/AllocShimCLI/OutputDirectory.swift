import AllocShim
import ArgumentParser
import Foundation

/// Checks, before any measuring, that a report can be written where asked: a minute of
/// measurements must not end in "cannot create directory".
enum OutputDirectory {
    /// `path` must be a writable directory, or not exist yet under a writable directory.
    /// Writability is tested by creating and removing a probe file (permission bits alone
    /// say nothing for root, read-only mounts or /proc).
    static func check(_ path: String, option: String) throws {
        let shown = "'\(EnvironmentVariable.displayed(path))'"
        guard !path.isEmpty else { throw ValidationError("\(option): allowed: a directory path; got an empty path") }
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ValidationError("\(option): \(shown) exists and is not a directory") }
            guard canCreateFile(in: path) else { throw ValidationError("\(option): directory \(shown) is not writable") }
            return
        }
        // The nearest existing ancestor decides whether the folder can be created.
        var ancestor = URL(fileURLWithPath: path).deletingLastPathComponent()
        while !fileManager.fileExists(atPath: ancestor.path, isDirectory: &isDirectory), ancestor.path != "/" {
            ancestor = ancestor.deletingLastPathComponent()
        }
        let ancestorShown = "'\(EnvironmentVariable.displayed(ancestor.path))'"
        guard isDirectory.boolValue else {
            throw ValidationError("\(option): cannot create \(shown): \(ancestorShown) is not a directory")
        }
        guard canCreateFile(in: ancestor.path) else {
            throw ValidationError("\(option): cannot create \(shown): \(ancestorShown) is not writable")
        }
    }

    private static func canCreateFile(in directory: String) -> Bool {
        let probe = URL(fileURLWithPath: directory).appendingPathComponent(".allocshim-write-check-\(getpid())")
        guard FileManager.default.createFile(atPath: probe.path, contents: nil) else { return false }
        try? FileManager.default.removeItem(at: probe)
        return true
    }
}
