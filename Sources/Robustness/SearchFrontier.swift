import Bounds
import Foundation
import NeuralNetwork
import HeapModule
import Synchronization

/// An input box waiting to be split, with its proved bound on the metric.
struct OpenBox: Comparable, Sendable {
    var box: [Interval]
    /// A sound upper bound of the metric over the box.
    var upper: Double
    var depth: Int
    /// The input to split along next (chosen when the box was bounded).
    var splitDimension: Int
    /// The depth from which Z3 may try to close this box's descendants (raised after a failed try).
    var exactFromDepth = 0
    /// The neuron ranges its bounds proved, for the halves it is split into.
    var ranges: NeuronRanges?

    static func < (a: OpenBox, b: OpenBox) -> Bool { a.upper < b.upper }
    static func == (a: OpenBox, b: OpenBox) -> Bool { a.upper == b.upper }
}

/// The state a global search shares between its parallel workers: the open
/// boxes (largest bound first), the best candidate, and the bound of every
/// box closed so far. One `Mutex` guards it; workers hold it only to take or
/// return boxes, never while bounding or solving.
final class SearchFrontier: Sendable {
    enum Next {
        case box(OpenBox, ticket: Int)
        case wait
        case done
    }

    /// Everything that changes during the search.
    private struct State {
        var open = Heap<OpenBox>()
        var inFlight: [Int: Double] = [:]
        var nextTicket = 0
        var best: Candidate
        /// The largest bound of any closed box (−∞ before any: the flip margin can be negative).
        var closedUpper = -Double.infinity
        var statistics: GlobalStatistics
        var stopReason: String?
        /// Whether some box was closed only because it could not be halved.
        var hadUnsplittableBoxes = false
        /// A bug found by a worker; ``GlobalRobustness`` throws it instead of answering.
        var internalError: InternalError?
        /// Set when the search answers without waiting for a worker stuck in Z3:
        /// from then on nothing changes, so the answer reads a fixed state, and
        /// the stuck worker's box stays in flight with its parent's bound.
        var sealed = false
    }

    private let state: Mutex<State>
    private let tau: Double?
    private let tolerance: Double
    private let deadline: Date?

    /// - Parameters:
    ///   - tau: τ rounded down, so that "bound ≤ τ" is never claimed wrongly.
    ///   - tolerance: slightly below the asked tolerance, so that the exact
    ///     replay of the best candidate still meets it.
    ///   - roots: the boxes to search: the query's box, or a shard's parts of it.
    init(roots: [OpenBox], best: Candidate, statistics: GlobalStatistics, tau: Double?, tolerance: Double, deadline: Date?) {
        self.tau = tau
        self.tolerance = tolerance
        self.deadline = deadline
        var initial = State(best: best, statistics: statistics)
        for root in roots { Self.insert(root, into: &initial, closingBound: tau ?? (best.value + tolerance)) }
        state = Mutex(initial)
    }

    /// Boxes whose bound is at most this need no further work: τ when the
    /// search decides a threshold, else the best value plus the tolerance.
    private func closingBound(_ state: State) -> Double {
        tau ?? (state.best.value + tolerance)
    }

    private static func insert(_ box: OpenBox, into state: inout State, closingBound: Double) {
        if box.upper <= closingBound {
            state.closedUpper = max(state.closedUpper, box.upper)
        } else {
            state.open.insert(box)
        }
    }

    /// The box to work on next.
    func next() -> Next {
        state.withLock { state in
            if state.sealed || state.stopReason != nil { return .done }
            if let deadline, deadline.timeIntervalSinceNow <= 0 {
                state.stopReason = "the time limit was reached"
                return .done
            }
            if let tau, state.best.value > tau { return .done }
            while let box = state.open.popMax() {
                if box.upper <= closingBound(state) {
                    state.closedUpper = max(state.closedUpper, box.upper)
                    continue
                }
                let ticket = state.nextTicket
                state.nextTicket += 1
                state.inFlight[ticket] = box.upper
                return .box(box, ticket: ticket)
            }
            return state.inFlight.isEmpty ? .done : .wait
        }
    }

    /// Returns the work on a box: its children (or none when closed), the
    /// best candidate found in them, and the counters.
    func finish(ticket: Int, children: [OpenBox], closed: Double?, candidate: Candidate?, statistics delta: GlobalStatistics,
                unsplittable: Bool = false) {
        state.withLock { state in
            guard !state.sealed else { return }
            state.inFlight[ticket] = nil
            if unsplittable { state.hadUnsplittableBoxes = true }
            state.statistics.add(delta)
            if let candidate, candidate.value > state.best.value { state.best = candidate }
            if let closed { state.closedUpper = max(state.closedUpper, closed) }
            let bound = closingBound(state)
            for child in children { Self.insert(child, into: &state, closingBound: bound) }
        }
    }

    /// Whether every box was closed: none open, none in flight, and the search neither
    /// stopped nor sealed (the flip metric's `robust` needs this, not only a bound).
    var isExhausted: Bool {
        state.withLock { $0.open.isEmpty && $0.inFlight.isEmpty && $0.stopReason == nil && !$0.sealed }
    }

    /// The bound at or below which a box needs no more work now (τ, or the best
    /// value found so far plus the tolerance).
    var closingBound: Double { state.withLock { closingBound($0) } }

    /// Whether a box with this bound still needs work (it would not be closed at once).
    func needsWork(_ upper: Double) -> Bool {
        state.withLock { upper > closingBound($0) }
    }

    /// Stops the search because of a bug: nothing is reported from it.
    func fail(_ error: InternalError) {
        state.withLock { state in
            guard !state.sealed else { return }
            if state.internalError == nil { state.internalError = error }
            if state.stopReason == nil { state.stopReason = error.description }
        }
    }

    /// Stops the search (cancellation); the bounds so far stay valid.
    func stop(_ reason: String) {
        state.withLock { state in
            if !state.sealed && state.stopReason == nil { state.stopReason = reason }
        }
    }

    /// Stops the search for good and freezes its state (see `State.sealed`).
    func seal(_ reason: String) {
        state.withLock { state in
            if state.stopReason == nil { state.stopReason = reason }
            state.sealed = true
        }
    }

    /// Whether ``seal(_:)`` was called: progress reports stop then.
    var isSealed: Bool { state.withLock { $0.sealed } }

    /// The best candidate so far.
    var best: Candidate { state.withLock { $0.best } }

    /// The counters so far.
    var statistics: GlobalStatistics { state.withLock { $0.statistics } }

    /// Why the search stopped early, if it did.
    var stopReason: String? { state.withLock { $0.stopReason } }

    /// Whether some box was closed only because it could not be halved.
    var hadUnsplittableBoxes: Bool { state.withLock { $0.hadUnsplittableBoxes } }

    /// A bug found by a worker, if any.
    var internalError: InternalError? { state.withLock { $0.internalError } }

    /// The proved upper bound: every box is closed, open or in flight.
    var upper: Double {
        state.withLock { Self.upper($0) }
    }

    private static func upper(_ state: State) -> Double {
        max(state.closedUpper, state.open.max?.upper ?? -.infinity, state.inFlight.values.max() ?? -.infinity, state.best.value)
    }

    func snapshot(seconds: Double) -> GlobalProgress {
        state.withLock { state in
            GlobalProgress(lower: state.best.value, upper: Self.upper(state), openBoxes: state.open.count + state.inFlight.count,
                           statistics: state.statistics, seconds: seconds)
        }
    }
}
