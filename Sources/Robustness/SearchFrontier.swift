import Bounds
import Foundation
import NeuralNetwork
import HeapModule

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

    static func < (a: OpenBox, b: OpenBox) -> Bool { a.upper < b.upper }
    static func == (a: OpenBox, b: OpenBox) -> Bool { a.upper == b.upper }
}

/// The state a global search shares between its parallel workers: the open
/// boxes (largest bound first), the best candidate, and the bound of every
/// box closed so far. One lock guards it; workers hold it only to take or
/// return boxes, never while bounding or solving.
final class SearchFrontier: @unchecked Sendable {
    enum Next {
        case box(OpenBox, ticket: Int)
        case wait
        case done
    }

    private let lock = NSLock()
    private var open = Heap<OpenBox>()
    private var inFlight: [Int: Double] = [:]
    private var nextTicket = 0
    private(set) var best: Candidate
    /// The largest bound of any closed box (0 before any).
    private var closedUpper = 0.0
    private(set) var statistics = GlobalStatistics()
    private(set) var stopReason: String?
    /// Whether some box was closed only because it could not be halved.
    private(set) var hadUnsplittableBoxes = false
    private let tau: Double?
    private let tolerance: Double
    private let deadline: Date?
    /// Set when the search answers without waiting for a worker stuck in Z3:
    /// from then on nothing changes, so the answer reads a fixed state, and
    /// the stuck worker's box stays in flight with its parent's bound.
    private var sealed = false

    /// - Parameters:
    ///   - tau: τ rounded down, so that "bound ≤ τ" is never claimed wrongly.
    ///   - tolerance: slightly below the asked tolerance, so that the exact
    ///     replay of the best candidate still meets it.
    init(root: OpenBox, best: Candidate, statistics: GlobalStatistics, tau: Double?, tolerance: Double, deadline: Date?) {
        self.best = best
        self.statistics = statistics
        self.tau = tau
        self.tolerance = tolerance
        self.deadline = deadline
        insert(root)
    }

    /// Boxes whose bound is at most this need no further work: τ when the
    /// search decides a threshold, else the best value plus the tolerance.
    private var closingBound: Double {
        tau ?? (best.value + tolerance)
    }

    private func insert(_ box: OpenBox) {
        if box.upper <= closingBound {
            closedUpper = max(closedUpper, box.upper)
        } else {
            open.insert(box)
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// The box to work on next.
    func next() -> Next {
        locked {
            if sealed || stopReason != nil { return .done }
            if let deadline, deadline.timeIntervalSinceNow <= 0 {
                stopReason = "the time limit was reached"
                return .done
            }
            if let tau, best.value > tau { return .done }
            while let box = open.popMax() {
                if box.upper <= closingBound {
                    closedUpper = max(closedUpper, box.upper)
                    continue
                }
                let ticket = nextTicket
                nextTicket += 1
                inFlight[ticket] = box.upper
                return .box(box, ticket: ticket)
            }
            return inFlight.isEmpty ? .done : .wait
        }
    }

    /// Returns the work on a box: its children (or none when closed), the
    /// best candidate found in them, and the counters.
    func finish(ticket: Int, children: [OpenBox], closed: Double?, candidate: Candidate?, statistics delta: GlobalStatistics,
                unsplittable: Bool = false) {
        locked {
            guard !sealed else { return }
            inFlight[ticket] = nil
            if unsplittable { hadUnsplittableBoxes = true }
            statistics.add(delta)
            if let candidate, candidate.value > best.value { best = candidate }
            if let closed { closedUpper = max(closedUpper, closed) }
            for child in children { insert(child) }
        }
    }

    /// Whether a box with this bound still needs work (it would not be closed at once).
    func needsWork(_ upper: Double) -> Bool {
        locked { upper > closingBound }
    }

    /// Stops the search (cancellation); the bounds so far stay valid.
    /// A bug found by a worker; ``GlobalRobustness`` throws it instead of answering.
    private(set) var internalError: InternalError?

    /// Stops the search because of a bug: nothing is reported from it.
    func fail(_ error: InternalError) {
        locked {
            guard !sealed else { return }
            if internalError == nil { internalError = error }
            if stopReason == nil { stopReason = error.description }
        }
    }

    func stop(_ reason: String) {
        locked { if !sealed && stopReason == nil { stopReason = reason } }
    }

    /// Stops the search for good and freezes its state (see `sealed`).
    func seal(_ reason: String) {
        locked {
            if stopReason == nil { stopReason = reason }
            sealed = true
        }
    }

    /// Whether ``seal(_:)`` was called: progress reports stop then.
    var isSealed: Bool { locked { sealed } }

    /// The proved upper bound: every box is closed, open or in flight.
    var upper: Double {
        locked {
            max(closedUpper, open.max?.upper ?? 0, inFlight.values.max() ?? 0, best.value)
        }
    }

    func snapshot(seconds: Double) -> GlobalProgress {
        let upper = self.upper
        return locked {
            GlobalProgress(lower: max(0, best.value), upper: upper, openBoxes: open.count + inFlight.count,
                           statistics: statistics, seconds: seconds)
        }
    }
}
