import AllocShim
import CAllocShimsProcess
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a command whose launch was verified and keeps verifying what actually runs: every
/// program image of the command and of its descendants (after each exec, in every process
/// the command starts) must map the chosen allocator and no other one; and nothing the
/// command started outlives the run.
///
/// How execs are observed, and why this way: without ptrace (which would make the command
/// undebuggable, stop it at every signal and drop set-user-ID privileges) a process's image
/// is visible only in /proc. The watch polls the tree (`/proc/P/task/T/children` from this
/// process down; it is the subreaper, so orphaned descendants stay in the tree) every 1 ms
/// while something new appears, backing off to 50 ms when nothing changes. An image is told
/// apart by its executable (`/proc/P/exe`) and its code and stack addresses (`/proc/P/stat`,
/// new at every exec under ASLR); each new image has its `/proc/P/maps` read until the
/// dynamic linker mapped the C library, then checked, and re-checked every second (a later
/// `dlopen` of another allocator is caught too). The command's first image is the one the
/// dynamic linker's trace verified before the start (the spawn returns only after its exec).
///
/// Fail closed: every check that cannot be made is an error and the command is stopped —
/// /proc without `children` files, maps that cannot be read (a set-user-ID descendant), a
/// static executable (its malloc is its own), an image that maps no C library within 5 s,
/// and the command's own last image when it exited before it could be read (its name, which
/// a zombie keeps, differs from the last image checked) — unless a signal sent to the run and
/// forwarded to the command ended it: that is the user's stop, reported as 128+N. Limit: a *descendant* image that
/// starts and ends between two polls (1–50 ms) is not seen.
package struct ProcessTreeWatch {
    /// How the command ended.
    package enum Termination: Sendable, Hashable {
        case exited(Int32)
        case signalled(Int32)
    }

    /// The verified launch.
    package let launch: ProcessAllocatorLaunch
    /// Accept allocator libraries other than the chosen one in the mappings (the command
    /// links one itself and the caller accepted the mix).
    package let allowLinkedAllocator: Bool

    /// Creates a watch for `launch`.
    package init(launch: ProcessAllocatorLaunch, allowLinkedAllocator: Bool) {
        self.launch = launch
        self.allowLinkedAllocator = allowLinkedAllocator
    }

    /// Starts `launch.executable` with `arguments` (argv[1...]), forwards SIGHUP, SIGINT,
    /// SIGTERM and SIGQUIT to it, verifies every image until it exits, then stops whatever it
    /// left running. Call from the main thread: the child's death signal (PR_SET_PDEATHSIG,
    /// so it dies with this process even on SIGKILL) follows the thread that started it.
    /// - Throws: ``ProcessAllocatorError/cannotVerify(command:reason:)`` when a check cannot
    ///   run, ``ProcessAllocatorError/wrongAllocatorRunning(program:expected:found:)`` when a
    ///   running image maps the wrong allocator (the command is stopped first in both cases),
    ///   ``ProcessAllocatorError/cannotStart(command:reason:)`` when it cannot start.
    package func run(arguments: [String]) throws(ProcessAllocatorError) -> Termination {
        let command = launch.executable
        // Fail closed before starting anything: without these the descendants cannot be followed.
        guard ProcFile.read("/proc/self/task/\(getpid())/children") != nil else {
            throw .cannotVerify(
                command: command,
                reason:
                    "this kernel has no /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN), so the command's descendants cannot be followed"
            )
        }
        let subreaper = CAllocShimsProcess_becomeSubreaper()
        guard subreaper == 0 else {
            throw .cannotVerify(command: command, reason: "prctl(PR_SET_CHILD_SUBREAPER) failed: \(String(cString: strerror(subreaper)))")
        }
        let intercept = CAllocShimsProcess_interceptTerminatingSignals()
        guard intercept == 0 else {
            throw .cannotVerify(
                command: command, reason: "cannot forward signals: sigaction failed: \(String(cString: strerror(intercept)))")
        }
        let root = try spawn(arguments: arguments)
        CAllocShimsProcess_setForwardTarget(root)
        var state = WatchState(root: root, rootName: ProcessTreeWatch.kernelName(ofPath: command))
        do {
            let termination = try watch(&state)
            stopDescendants()
            return termination
        } catch {
            kill(root, SIGKILL)
            stopDescendants()
            throw error
        }
    }

    /// fork + PR_SET_PDEATHSIG + execve, in C (nothing but async-signal-safe calls between
    /// fork and exec); returns once the child runs the executable.
    private func spawn(arguments: [String]) throws(ProcessAllocatorError) -> pid_t {
        let argv = [launch.executable] + arguments
        let envp = launch.environment.map { "\($0.key)=\($0.value)" }
        var failure: Int32 = 0
        let pid = CStringArray.withPointers(argv) { argvPointers in
            CStringArray.withPointers(envp) { envpPointers in
                CAllocShimsProcess_spawn(launch.executable, argvPointers, envpPointers, &failure)
            }
        }
        guard pid > 0 else {
            throw .cannotStart(command: launch.executable, reason: String(cString: strerror(failure)))
        }
        return pid
    }

    /// What the watch knows about one process.
    struct Image: Equatable {
        var executable: String
        var codeStart: UInt64
        var codeEnd: UInt64
        var stackStart: UInt64
    }

    struct Tracked {
        var image: Image
        var firstSeen: ContinuousClock.Instant
        var verifiedAt: ContinuousClock.Instant?
        var staticSightings = 0
    }

    struct WatchState {
        let root: pid_t
        /// The root's name (comm) at the last image known to be verified; a zombie keeps its
        /// last image's name, so a different one at exit means an image that was never read.
        var rootVerifiedName: String
        var rootCurrentVerified = true
        var tracked: [pid_t: Tracked] = [:]
        init(root: pid_t, rootName: String) {
            self.root = root
            self.rootVerifiedName = rootName
        }
    }

    private func watch(_ state: inout WatchState) throws(ProcessAllocatorError) -> Termination {
        let clock = ContinuousClock()
        var interval = Duration.milliseconds(1)
        let firstImage = URL(fileURLWithPath: launch.executable).resolvingSymlinksInPath().path
        while true {
            let now = clock.now
            var changed = false
            for pid in ProcessTreeWatch.tree() {
                guard let stat = ProcStat(pid: pid), stat.state != "Z" else {
                    if pid != state.root { ProcessTreeWatch.reapIfChild(pid) }
                    continue
                }
                guard stat.codeStart != 0 else {
                    // Between exec's point of no return and the ELF loader's setting of the code
                    // addresses (or /proc hides them: then the maps are unreadable too, an error).
                    if case .failure(let error) = ProcFile.readReportingError("/proc/\(pid)/maps"), error.number == EACCES {
                        throw .cannotVerify(
                            command: launch.executable, reason: "cannot read the mappings of pid \(pid): permission denied "
                                + "(a set-user-ID program or another user's process)")
                    }
                    changed = true
                    continue
                }
                let executable: String
                switch ProcFile.readLink("/proc/\(pid)/exe") {
                case .success(let path): executable = path
                case .failure(let error) where error.number == EACCES || error.number == EPERM:
                    throw .cannotVerify(
                        command: launch.executable, reason: "cannot read the executable of pid \(pid): permission denied "
                            + "(a set-user-ID program or another user's process)")
                case .failure:
                    // Its memory is already gone (it is exiting: stat was read a moment before) or
                    // the exec is between steps. Not a new image: CI once saw an exiting command's
                    // image as a new one, never verified, and reported a check it could not make.
                    changed = true
                    continue
                }
                let image = Image(executable: executable, codeStart: stat.codeStart, codeEnd: stat.codeEnd, stackStart: stat.stackStart)
                var entry = state.tracked[pid] ?? Tracked(image: image, firstSeen: now)
                if entry.image != image || state.tracked[pid] == nil {
                    changed = true
                    entry = Tracked(image: image, firstSeen: now)
                    if pid == state.root {
                        // The launch's own first image was verified by the dynamic linker's trace.
                        let isFirst = state.tracked[pid] == nil && executable == firstImage
                        state.rootCurrentVerified = isFirst
                        if isFirst { state.rootVerifiedName = stat.name }
                    }
                }
                if entry.verifiedAt.map({ now - $0 >= .seconds(1) }) ?? true {
                    if try check(pid: pid, name: stat.name, entry: &entry, now: now) {
                        entry.verifiedAt = now
                        if pid == state.root {
                            state.rootVerifiedName = stat.name
                            state.rootCurrentVerified = true
                        }
                    }
                } else if pid == state.root, state.rootCurrentVerified {
                    state.rootVerifiedName = stat.name  // a rename (prctl) of a verified image
                }
                state.tracked[pid] = entry
            }
            if let termination = try rootTermination(&state) { return termination }
            interval = changed ? .milliseconds(1) : min(interval * 2, .milliseconds(50))
            usleep(UInt32(interval / .microseconds(1)))
        }
    }

    /// Reads `pid`'s mappings; true when its image is verified, false when the dynamic linker
    /// has not finished (or the process is going away); throws when it is wrong or cannot be read.
    private func check(pid: pid_t, name: String, entry: inout Tracked, now: ContinuousClock.Instant) throws(ProcessAllocatorError) -> Bool {
        let shown = "'\(EnvironmentVariable.displayed(entry.image.executable))' (pid \(pid))"
        let maps: String
        switch ProcFile.readReportingError("/proc/\(pid)/maps") {
        case .success(let text): maps = text
        case .failure(let error) where error.number == ENOENT || error.number == ESRCH: return false  // it is gone
        case .failure(let error):
            throw .cannotVerify(
                command: launch.executable,
                reason: "cannot read the mappings of \(shown): \(String(cString: strerror(error.number))) "
                    + "(a set-user-ID program or another user's process)")
        }
        guard !maps.isEmpty else { return false }  // exiting, or between exec's steps
        // The image named above was read before its mappings: an exec in between would judge the
        // next image's mappings under this one's name (CI, under ASan: "the running
        // '/usr/bin/env' maps glibc" where `env -u LD_PRELOAD` had just exec'd `sleep`). Read the
        // image again; if it changed, the next poll sees the new one and checks it by its name.
        guard let after = ProcStat(pid: pid), after.codeStart != 0, case .success(let executable) = ProcFile.readLink("/proc/\(pid)/exe"),
            Image(executable: executable, codeStart: after.codeStart, codeEnd: after.codeEnd, stackStart: after.stackStart) == entry.image
        else { return false }
        var families: [AllocShim.ProcessAllocator.Family] = []
        var interpreter = false
        var libc = false
        for line in maps.split(separator: "\n") {
            guard let slash = line.firstIndex(of: "/") else { continue }
            let path = String(line[slash...])
            let file = path.split(separator: "/").last.map(String.init) ?? path
            if file.hasPrefix("ld-linux") || file.hasPrefix("ld-musl") || file.hasPrefix("ld64.so") { interpreter = true }
            let family = AllocShim.ProcessAllocator.Family(libraryPath: path)
            if family == .glibc { libc = true }
            if family != .unknown, !families.contains(family) { families.append(family) }
        }
        if !interpreter {
            // The kernel maps the interpreter with the executable; seen twice without one (not a
            // read in the middle of an exec), the image is static and allocates with its own malloc.
            entry.staticSightings += 1
            if entry.staticSightings >= 2 {
                throw .wrongAllocatorRunning(
                    program: shown, expected: launch.choice.backend.family.rawValue,
                    found: "nothing: a static executable, whose malloc is its own and cannot be preloaded")
            }
            return false
        }
        guard libc else {
            if now - entry.firstSeen > .seconds(5) {
                throw .cannotVerify(
                    command: launch.executable, reason: "\(shown) mapped no C library within 5 s, so which malloc it calls cannot be told")
            }
            return false
        }
        let expected = launch.choice.backend.family
        let others = families.filter { $0 != .glibc && $0 != expected }
        if (expected != .glibc && !families.contains(expected)) || (!others.isEmpty && !allowLinkedAllocator) {
            throw .wrongAllocatorRunning(
                program: shown, expected: expected.rawValue,
                found: families.isEmpty ? "none" : families.map(\.rawValue).joined(separator: ", "))
        }
        return true
    }

    /// The root's end, once it is a zombie (read before reaping: its name tells whether its
    /// last image was the one checked).
    private func rootTermination(_ state: inout WatchState) throws(ProcessAllocatorError) -> Termination? {
        switch CAllocShimsProcess_hasEnded(state.root) {
        case 0: return nil
        case 1: break
        default:
            if errno == EINTR { return nil }
            throw .cannotVerify(command: launch.executable, reason: "waitid on the command failed: \(String(cString: strerror(errno)))")
        }
        let finalName = ProcStat(pid: state.root)?.name
        var status: Int32 = 0
        while waitpid(state.root, &status, 0) < 0, errno == EINTR {}
        // WIFEXITED / WTERMSIG, which Swift does not import (macros).
        let signal = status & 0x7F
        // Killed by a signal this process received and forwarded (the user stopped the run,
        // possibly between an exec and the next poll): the stop is reported, not an unread
        // image; that image ran at most one poll interval (50 ms) and was never seen wrong.
        let stoppedByUser = signal != 0 && CAllocShimsProcess_receivedSignal(signal) == 1
        if let finalName, !stoppedByUser, finalName != state.rootVerifiedName || !state.rootCurrentVerified {
            throw .cannotVerify(
                command: launch.executable,
                reason: "its last program '\(EnvironmentVariable.displayed(finalName))' (pid \(state.root)) exited before its mappings "
                    + "could be read (it ended between two polls of /proc after an exec); run that program directly")
        }
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
    }

    /// Every process below this one: the command, its descendants and the orphans this
    /// subreaper adopted, parents before children.
    static func tree() -> [pid_t] {
        var result: [pid_t] = []
        var queue = children(of: getpid())
        var seen = Set<pid_t>()
        while !queue.isEmpty {
            let pid = queue.removeFirst()
            guard seen.insert(pid).inserted else { continue }
            result.append(pid)
            queue += children(of: pid)
        }
        return result
    }

    /// The children of every thread of `pid` (a child belongs to the thread that forked it).
    static func children(of pid: pid_t) -> [pid_t] {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return [] }
        return tasks.flatMap { task in
            (ProcFile.read("/proc/\(pid)/task/\(task)/children") ?? "").split(separator: " ").compactMap { pid_t($0) }
        }
    }

    /// Reaps `pid` if it is a zombie child of this process (an adopted orphan that exited).
    static func reapIfChild(_ pid: pid_t) {
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
    }

    /// Kills everything still below this process and reaps it: nothing the command started
    /// outlives the run. Bounded: 200 rounds of 5 ms (processes in uninterruptible sleep
    /// may take a moment to die).
    func stopDescendants() {
        for _ in 0..<200 {
            let remaining = Self.tree()
            if remaining.isEmpty { return }
            for pid in remaining { kill(pid, SIGKILL) }
            for pid in remaining { Self.reapIfChild(pid) }
            Thread.sleep(forTimeInterval: 0.005)
        }
    }

    /// The name the kernel gives an image run from `path` (comm: the file name, 15 bytes).
    static func kernelName(ofPath path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        return String(decoding: file.utf8.prefix(15), as: UTF8.self)
    }
}

/// The fields of /proc/PID/stat the watch uses.
struct ProcStat {
    /// comm: the image's file name, or what the program set with PR_SET_NAME.
    var name: String
    /// R, S, D, Z, …
    var state: Character
    /// startcode, endcode, startstack (fields 26–28): where the image's code and stack lie.
    var codeStart: UInt64
    var codeEnd: UInt64
    var stackStart: UInt64

    init?(pid: pid_t) {
        guard let text = ProcFile.read("/proc/\(pid)/stat"),
            let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")")
        else { return nil }
        // comm may contain spaces and parentheses: it is everything between the first '(' and the last ')'.
        name = String(text[text.index(after: open)..<close])
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); field N is fields[N - 3].
        guard fields.count > 25, let first = fields[0].first else { return nil }
        state = first
        codeStart = UInt64(fields[23]) ?? 0
        codeEnd = UInt64(fields[24]) ?? 0
        stackStart = UInt64(fields[25]) ?? 0
    }
}

/// Whole /proc files (they report size 0, so a sized read would stop early).
enum ProcFile {
    static func read(_ path: String) -> String? {
        if case .success(let text) = readReportingError(path) { return text }
        return nil
    }

    /// An errno as an `Error`, for `Result`.
    struct Failure: Error, Equatable {
        var number: Int32
    }

    /// The target of a /proc symbolic link (`exe`), or the errno of the failed readlink.
    static func readLink(_ path: String) -> Result<String, Failure> {
        var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(path, &target, target.count - 1)
        guard length >= 0 else { return .failure(Failure(number: errno)) }
        return .success(String(decoding: target[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    static func readReportingError(_ path: String) -> Result<String, Failure> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(Failure(number: errno)) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(Failure(number: errno))
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        return .success(String(decoding: bytes, as: UTF8.self))
    }
}

/// NULL-terminated `char *[]` arrays for execve, alive for the duration of `body`.
enum CStringArray {
    static func withPointers<Result>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Result) -> Result {
        // strdup'd copies: execve needs stable C strings for the whole call; freed after it.
        let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
