/// Terminal progress for long runs: what runs, how far along, and an estimate of time left.
/// Phases carry weights (their expected share of the run); within a phase, steps are even.
public final class ProgressReporter {
    public struct Phase {
        public var name: String
        public var weight: Double
        public var steps: Int
    }

    private let phases: [Phase]
    private let start = monotonicNanoseconds()
    private var phaseIndex = -1
    private var step = 0
    private let write: (String) -> Void

    public init(phases: [Phase], write: @escaping (String) -> Void) {
        self.phases = phases
        self.write = write
    }

    /// Moves to the next phase.
    public func beginPhase() {
        phaseIndex += 1
        step = 0
    }

    /// Reports a step of the current phase about to run.
    public func step(_ what: String) {
        let total = phases.map(\.weight).reduce(0, +)
        let done = phases.prefix(Swift.max(phaseIndex, 0)).map(\.weight).reduce(0, +)
        let current = phaseIndex >= 0 && phaseIndex < phases.count ? phases[phaseIndex] : nil
        let within = current.map { $0.weight * Double(step) / Double(Swift.max($0.steps, 1)) } ?? 0
        let fraction = Swift.min((done + within) / total, 1)
        step += 1
        let elapsed = Double(monotonicNanoseconds() - start) / 1e9
        let left = fraction > 0.02 ? elapsed / fraction * (1 - fraction) : nil
        let percent = Int((fraction * 100).rounded())
        let phaseName = current?.name ?? ""
        write("[\(percent < 10 ? " " : "")\(percent)%] \(phaseName): \(what) — \(duration(elapsed)) elapsed\(left.map { ", ~\(duration($0)) left" } ?? "")\n")
    }

    private func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return whole >= 60 ? "\(whole / 60)m\(String(format2: whole % 60))s" : "\(whole)s"
    }
}

extension String {
    init(format2 value: Int) { self = value < 10 ? "0\(value)" : "\(value)" }
}
