import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress of a long run: what runs, how far along, and an estimate of the time left.
///
/// Every command that can take more than a couple of seconds uses this one type. A run is a
/// list of phases; each phase has a weight (its expected share of the run's time) and a number
/// of even steps. Runners announce each step as it starts (``step(_:)``); the reporter turns
/// that into a fraction done and, from the time spent so far, a time left.
///
/// On a terminal (``Style/updatingLine``) it keeps one line up to date, rewritten at every
/// step and once a second in between, so a long step (the Node run, a child process) still
/// shows time passing. Elsewhere (``Style/lines``: CI logs, files) it writes one plain line per
/// step and nothing in between. Call ``finish()`` when done, also on failure, so the
/// terminal's line is cleared before anything else is printed.
///
/// `@unchecked Sendable`: every mutable field is inside the `Mutex`; the timer is set once in
/// `init` and only cancelled afterwards, which Dispatch allows from any thread.
package final class ProgressReporter: @unchecked Sendable {
    /// A part of the run with its own name, weight and number of steps.
    package struct Phase: Sendable {
        /// Shown before each step, e.g. "residue".
        package var name: String
        /// Expected share of the run's time, relative to the other phases' weights.
        package var weight: Double
        /// How many times the phase's runner calls ``ProgressReporter/step(_:)``.
        package var steps: Int

        /// A phase of `steps` even steps whose expected share of the run is `weight`.
        package init(name: String, weight: Double = 1, steps: Int) {
            self.name = name
            self.weight = weight
            self.steps = steps
        }
    }

    /// How progress is written.
    package enum Style: Sendable, Equatable {
        /// One line rewritten in place (carriage return, erase line): for a terminal.
        case updatingLine
        /// One line per step: for logs and pipes.
        case lines
        /// Nothing: for child processes and `--quiet`.
        case silent

        /// ``updatingLine`` when standard error is a terminal, ``lines`` otherwise.
        package static var forStandardError: Style { isatty(2) != 0 ? .updatingLine : .lines }
    }

    private struct State {
        var phaseIndex = -1
        var step = 0
        var text = ""
        /// Estimated run length in seconds, from the last step's fraction; nil until known.
        var estimatedTotal: Double?
        var finished = false
    }

    private let phases: [Phase]
    private let style: Style
    private let write: @Sendable (String) -> Void
    private let start = monotonicNanoseconds()
    private let state = Mutex(State())
    private let ticker: (any DispatchSourceTimer)?

    /// A reporter over `phases`, writing through `write` (which receives complete text,
    /// including the line ending or the terminal's control sequences).
    package init(phases: [Phase], style: Style, write: @escaping @Sendable (String) -> Void) {
        self.phases = phases
        self.style = style
        self.write = write
        if style == .updatingLine {
            let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
            timer.schedule(deadline: .now() + 1, repeating: 1)
            ticker = timer
        } else {
            ticker = nil
        }
        ticker?.setEventHandler { [weak self] in self?.refresh() }
        ticker?.resume()
    }

    /// A reporter with a single phase of `steps` steps.
    package convenience init(name: String, steps: Int, style: Style, write: @escaping @Sendable (String) -> Void) {
        self.init(phases: [Phase(name: name, steps: steps)], style: style, write: write)
        beginPhase()
    }

    deinit {
        ticker?.cancel()
    }

    /// Moves to the next phase.
    package func beginPhase() {
        state.withLock {
            $0.phaseIndex += 1
            $0.step = 0
        }
    }

    /// Reports that a step of the current phase, described by `what`, is about to run.
    package func step(_ what: String) {
        state.withLock { state in
            guard !state.finished else { return }
            let fraction = fractionDone(state)
            state.step += 1
            let elapsed = elapsedSeconds()
            // Estimate only once a few percent are done: earlier guesses swing wildly.
            state.estimatedTotal = fraction >= 0.02 ? elapsed / fraction : nil
            let phaseName = state.phaseIndex >= 0 && state.phaseIndex < phases.count ? phases[state.phaseIndex].name : ""
            let percent = Int((fraction * 100).rounded(.down))
            state.text = "[\(percent < 10 ? " " : "")\(percent)%] \(phaseName.isEmpty ? "" : phaseName + ": ")\(what)"
            emit(state, elapsed: elapsed)
        }
    }

    /// Writes `text` as a line of its own between steps: a result or a warning (a skipped
    /// configuration) that must stay readable. On a terminal the updating line is cleared
    /// first and drawn again after it. Written in every style, `silent` included: a note is a
    /// message, not progress.
    package func note(_ text: String) {
        state.withLock { state in
            switch style {
            case .updatingLine:
                write("\r\u{1B}[K" + text + "\n")
                if !state.finished, !state.text.isEmpty { emit(state, elapsed: elapsedSeconds()) }
            case .lines, .silent:
                write(text + "\n")
            }
        }
    }

    /// Ends the run's progress: clears the terminal line (so what follows starts clean) or,
    /// for plain lines, states the total time (when a step was shown). Later calls to ``step(_:)`` are ignored.
    package func finish() {
        ticker?.cancel()
        state.withLock { state in
            guard !state.finished else { return }
            state.finished = true
            switch style {
            case .updatingLine: write("\r\u{1B}[K")
            // Nothing shown, nothing to close: a run that failed before its first step stays one line.
            case .lines: if !state.text.isEmpty { write("done in \(Self.duration(elapsedSeconds()))\n") }
            case .silent: break
            }
        }
    }

    /// The share of the run done before the current step, 0...1.
    private func fractionDone(_ state: State) -> Double {
        let total = phases.map(\.weight).reduce(0, +)
        guard total > 0 else { return 0 }
        let index = Swift.max(state.phaseIndex, 0)
        let done = phases.prefix(index).map(\.weight).reduce(0, +)
        let within = index < phases.count ? phases[index].weight * Double(state.step) / Double(Swift.max(phases[index].steps, 1)) : 0
        return Swift.min((done + within) / total, 1)
    }

    private func refresh() {
        state.withLock { state in
            guard !state.finished, !state.text.isEmpty else { return }
            emit(state, elapsed: elapsedSeconds())
        }
    }

    private func emit(_ state: State, elapsed: Double) {
        var line = state.text + " — " + Self.duration(elapsed) + " elapsed"
        if let total = state.estimatedTotal {
            let left = total - elapsed
            line += left >= 1 ? ", ~" + Self.duration(left) + " left" : ", <1s left"
        }
        switch style {
        case .updatingLine: write("\r\u{1B}[K" + Self.fitted(line, columns: Self.terminalColumns()))
        case .lines: write(line + "\n")
        case .silent: break
        }
    }

    private func elapsedSeconds() -> Double { Double(monotonicNanoseconds() - start) / 1e9 }

    /// "7s", "1m05s".
    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return whole >= 60 ? "\(whole / 60)m\(String(format2: whole % 60))s" : "\(whole)s"
    }

    /// Cut to the terminal's width: a wrapped line cannot be rewritten in place.
    static func fitted(_ line: String, columns: Int) -> String {
        guard line.count >= columns else { return line }
        return String(line.prefix(Swift.max(columns - 2, 10))) + "…"
    }

    private static func terminalColumns() -> Int {
        var size = winsize()
        guard ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 100 }
        return Int(size.ws_col)
    }
}

extension String {
    init(format2 value: Int) { self = value < 10 ? "0\(value)" : "\(value)" }
}
