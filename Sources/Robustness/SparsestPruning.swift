import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries

/// The question behind `qrobust prune --sparsest`: the largest sparsity of a
/// grid whose pruned network keeps the certified global deviation over a box
/// at most τ.
public struct SparsityQuery: Sendable {
    public var network: Network
    public var region: InputRegion
    /// The pruned network at a sparsity (for example ``MagnitudePruning``).
    public var prune: @Sendable (Double) throws -> Network
    /// The sparsities to consider, increasing.
    public var grid: [Double]
    public var metric: Metric
    /// The threshold; nil for the flip metric (no input of the region may change class).
    public var tau: Rational?
    public var tolerance: Rational
    /// Check every grid point instead of bisecting.
    public var checksEvery: Bool
    /// Wall-clock limit in seconds for the whole search; nil for none.
    public var timeLimit: Double?
    public var jobs: Int

    public init(network: Network, region: InputRegion, prune: @escaping @Sendable (Double) throws -> Network, grid: [Double],
                metric: Metric, tau: Rational?, tolerance: Rational = Rational(1, 10_000), checksEvery: Bool = false,
                timeLimit: Double? = nil, jobs: Int = 2) {
        self.network = network
        self.region = region
        self.prune = prune
        self.grid = grid
        self.metric = metric
        self.tau = tau
        self.tolerance = tolerance
        self.checksEvery = checksEvery
        self.timeLimit = timeLimit
        self.jobs = jobs
    }
}

/// One checked sparsity.
public struct SparsityRow: Sendable {
    public var sparsity: Double
    public var verdict: Verdict
    public var deviation: DeviationBounds
    public var reason: String?
    public var seconds: Double
}

/// The answer to a ``SparsityQuery``.
public struct SparsityResult: Sendable {
    /// The checked sparsities, increasing.
    public var rows: [SparsityRow]
    /// The largest checked sparsity proved robust with every smaller checked one robust too; nil when none.
    public var sparsest: Double?
    /// Where robustness is not monotone in the sparsity, or what leaves the answer uncertain.
    public var notes: [String]
    public var seconds: Double
}

/// Searches the largest sparsity whose certified deviation stays ≤ τ.
///
/// Unlike the nested perturbation sets of fewest bits, pruning more weights
/// need not move the output more: a deviation can fall again at a larger
/// sparsity. Bisection therefore assumes monotonicity and says so; checking
/// every grid point (``SparsityQuery/checksEvery``) finds every place where it fails.
public enum SparsestPruning {
    /// - Parameter progress: called after each checked sparsity.
    public static func search(_ query: SparsityQuery, progress: (@Sendable (SparsityRow) -> Void)? = nil) async throws -> SparsityResult {
        guard MagnitudePruning.isSparsityGrid(query.grid) else {
            throw QueryError("the sparsity grid must be increasing values between 0 and 1")
        }
        let start = Date()
        let deadline = query.timeLimit.map { start.addingTimeInterval($0) }
        var rows: [Int: SparsityRow] = [:]
        func check(_ i: Int) async throws -> SparsityRow {
            if let row = rows[i] { return row }
            let started = Date()
            let pruned = try query.prune(query.grid[i])
            let result = try await GlobalRobustness.check(GlobalQuery(
                network: query.network, compression: try .concrete(pruned, comparedWith: query.network), region: query.region,
                metric: query.metric, tau: query.tau, tolerance: query.tolerance,
                timeLimit: deadline.map { max(0.001, $0.timeIntervalSinceNow) }, jobs: query.jobs))
            let row = SparsityRow(sparsity: query.grid[i], verdict: result.verdict ?? .unknown, deviation: result.deviation,
                                  reason: result.reason, seconds: Date().timeIntervalSince(started))
            rows[i] = row
            progress?(row)
            return row
        }
        var notes: [String] = []
        if query.checksEvery {
            for i in query.grid.indices { _ = try await check(i) }
        } else {
            // Invariant: grid[low] is robust, grid[high] is not (assuming monotonicity).
            var low = 0, high = query.grid.count - 1
            if try await check(high).verdict == .robust {
                low = high
            } else if try await check(low).verdict == .robust {
                while high - low > 1 {
                    let mid = (low + high) / 2
                    if try await check(mid).verdict == .robust { low = mid } else { high = mid }
                }
            }
            notes.append("bisection assumes the deviation grows with the sparsity, which pruning need not satisfy; checking every grid point tests it")
        }
        let checked = rows.keys.sorted().map { rows[$0]! }
        // The answer: the last of the leading robust run.
        var sparsest: Double?
        for row in checked {
            guard row.verdict == .robust else { break }
            sparsest = row.sparsity
        }
        if let firstFailure = checked.first(where: { $0.verdict != .robust }) {
            for later in checked where later.sparsity > firstFailure.sparsity && later.verdict == .robust {
                notes.append("not monotone: robust again at \(later.sparsity) after \(firstFailure.verdict.rawValue) at \(firstFailure.sparsity)")
            }
            if firstFailure.verdict == .unknown {
                notes.append("unknown at \(firstFailure.sparsity) (\(firstFailure.reason ?? "limit")): the true answer may be larger")
            }
        }
        return SparsityResult(rows: checked, sparsest: sparsest, notes: notes, seconds: Date().timeIntervalSince(start))
    }
}
