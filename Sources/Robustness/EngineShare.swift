import Foundation
import Synchronization

/// How much of a global search's worker time the engines that close a box
/// outright (the ReLU branch and bound, Z3) may take.
///
/// Whether closing a box with an engine beats splitting it depends on the
/// network and the question, and is not known in advance: on diff2d's
/// perturbation sets one LP branch and bound closes what millions of splits
/// cannot, while over ACAS Xu's property 1 (float16 perturbation set, τ =
/// 0.05) splitting alone decides in 7 s and each LP node costs a hundred
/// boxes. Letting the engines take at most a fixed share of the time spent so
/// far (after a small allowance) bounds the loss either way: a search whose
/// engines never pay takes at most `1/(1 − share)` times as long as splitting
/// alone, and one whose engines pay still gives them that share.
///
/// Engines that close most boxes they try are paying by definition, and are
/// never held back: capping them splits their boxes instead, and each half
/// then needs an engine of its own (diff2d big's 8-bit perturbation set:
/// pinned in 3.8 s with 32 boxes closed; capped, 770 boxes closed by 60 s
/// without pinning the maximum).
final class EngineShare: Sendable {
    private let start = Date()
    private let workers: Int
    private let share: Double
    private let allowance: Double
    private let used = Mutex(0.0)
    /// Boxes the engines tried, and closed.
    private let tally = Mutex((tries: 0, closed: 0))
    /// Engines that have closed at least this fraction of at least
    /// `payingTries` boxes are not held back.
    static let payingRate = 0.75
    static let payingTries = 8

    /// - Parameters:
    ///   - share: the largest fraction of all workers' time the engines may take.
    ///   - allowance: engine seconds granted before any share is earned.
    init(workers: Int, share: Double, allowance: Double) {
        self.workers = workers
        self.share = share
        self.allowance = allowance
    }

    /// Whether an engine may start on a box now.
    var allows: Bool {
        let (tries, closed) = tally.withLock { $0 }
        if tries >= Self.payingTries && Double(closed) >= Self.payingRate * Double(tries) { return true }
        let budget = allowance + share * Double(workers) * Date().timeIntervalSince(start)
        return used.withLock { $0 } <= budget
    }

    /// Counts one box an engine tried, and whether it closed it.
    func record(closed: Bool) {
        tally.withLock { $0.tries += 1; if closed { $0.closed += 1 } }
    }

    /// Runs an engine and charges its time.
    func charge<T>(_ body: () throws -> T) rethrows -> T {
        let begin = Date()
        defer { used.withLock { $0 += Date().timeIntervalSince(begin) } }
        return try body()
    }
}
