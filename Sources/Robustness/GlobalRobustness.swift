import Bounds
import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Z3Kit

/// Global robustness over an input box (docs/semantics.md §1.3): the library call
/// behind `qrobust global`.
///
/// The search is branch and bound on the *input*: each box gets a sound upper
/// bound of the metric from differential bound propagation (``DifferentialAnalysis``)
/// and candidate witnesses at its centre and at the vertices where the bound
/// forms peak; the box with the largest bound is split in two along the input
/// that moves the forms most (width × coefficient, as in ReluVal's smear),
/// until every box's bound is within the tolerance of the best witness (or,
/// with τ, below τ). Input splitting suits the low-dimensional inputs this
/// tool targets (2-D toy problems, ACAS Xu's 5 inputs): each split shrinks
/// every relaxation at once, and boxes in which every ReLU is stable get
/// bounds that are exact up to rounding. Boxes are processed by `jobs`
/// parallel tasks sharing one ``SearchFrontier``, on threads of their own
/// (``SolverThreads``): Z3 blocks them.
public enum GlobalRobustness {
    /// Answers a global query.
    /// - Parameter progress: called about four times a second with the bounds so far.
    /// - Throws: ``QueryError`` for questions without meaning.
    public static func check(_ query: GlobalQuery,
                             progress: (@Sendable (GlobalProgress) -> Void)? = nil) async throws -> GlobalResult {
        try await check(query, adjusting: { _ in }, progress: progress)
    }

    /// Answers a global query with its search settings adjusted first (tests
    /// force a strategy on networks where the defaults would not pick it).
    static func check(_ query: GlobalQuery, adjusting adjust: (inout SearchSettings) -> Void,
                      progress: (@Sendable (GlobalProgress) -> Void)? = nil) async throws -> GlobalResult {
        try query.validate()
        let start = Date()
        let network = query.network
        let setup = SearchSetup(query, adjusting: adjust)
        let (exactBox, box, settings, bounder) = (setup.exactBox, setup.box, setup.settings, setup.bounder)
        let solver = BoxSolver(original: network, compared: setup.compared, metric: bounder.metric, region: exactBox, exact: setup.exact)
        var rootStatistics = GlobalStatistics()
        var (root, rootCandidate, rootBounds) = bounder.bound(box, depth: 0, statistics: &rootStatistics)
        let tolerance = query.tolerance.approximateDouble * (1 - 1e-6)
        let deadline = query.timeLimit.map { start.addingTimeInterval($0) }
        let threshold = closingThreshold(query)
        let rootClosingBound = threshold ?? (rootCandidate.value + tolerance)
        if root.upper > rootClosingBound, settings.refines(root.upper, closingBound: rootClosingBound, rootBounds) {
            bounder.refine(&root, &rootBounds, statistics: &rootStatistics)
        }
        // A shard searches only its own parts of the box, starting from the best candidate of them all.
        var roots = [root], best = rootCandidate, parts: ShardParts?
        if let shard = query.shard {
            let partition = ShardPartition(root: root, candidate: rootCandidate, bounder: bounder, shards: shard.count,
                                           threshold: threshold, tolerance: tolerance, statistics: &rootStatistics)
            roots = partition.boxes(of: shard.index)
            best = partition.best
            parts = partition.parts(of: shard)
        }
        let frontier = SearchFrontier(roots: roots, best: best, statistics: rootStatistics,
                                      tau: threshold, tolerance: tolerance, deadline: deadline)
        let reporter = ProgressThrottle(progress: progress, start: start)
        let share = EngineShare(workers: query.jobs, share: settings.engineShare, allowance: settings.engineAllowance)

        let threads = SolverThreads(count: query.jobs)
        defer { threads.shutdown() }
        let allReturned = await withTaskCancellationHandler {
            await WorkerGate.run(workers: query.jobs, on: threads, giveUpAt: deadline?.addingTimeInterval(settings.workerGrace)) {
                await work(frontier: frontier, bounder: bounder, solver: solver, settings: settings,
                           share: share, deadline: deadline, reporter: reporter)
            }
        } onCancel: {
            frontier.stop("the search was cancelled")
        }
        if !allReturned { frontier.seal("the time limit was reached") }

        var result = try finish(query, frontier: frontier, evaluator: bounder.evaluator, exact: setup.exact,
                                exactBox: exactBox, start: start)
        result.shardParts = parts
        return result
    }

    /// What a search and a merge build from a query before any box is bounded.
    struct SearchSetup {
        /// The normalised box, exactly and rounded outward to binary64.
        let exactBox: [(lower: Rational, upper: Rational)]
        let box: [Interval]
        let compared: ComparedParameters
        let settings: SearchSettings
        let bounder: BoxBounder
        /// Both networks' exact layers, made when first needed.
        let exact: ExactLayerPair

        init(_ query: GlobalQuery, adjusting adjust: (inout SearchSettings) -> Void = { _ in }) {
            let network = query.network
            exactBox = query.region.normalized(by: network.normalization)
            box = exactBox.map { Interval($0.lower.roundedDown, $0.upper.roundedUp) }
            switch query.compression {
            case .concrete(let g): compared = .concrete(g)
            case .perturbation(let set): compared = .perturbation(PerturbationRadii(network: network, set: set))
            case .quantized(let g): compared = .quantized(g)
            }
            let metric = BoxMetric(metric: query.metric, output: network.output)
            var settings = SearchSettings(query)
            adjust(&settings)
            self.settings = settings
            let analysis = DifferentialAnalysis(original: network, compared: compared, backSubstitutes: settings.backSubstitutes)
            bounder = BoxBounder(analysis: analysis, metric: metric,
                                 evaluator: PairEvaluator(original: network, compared: compared, metric: metric))
            exact = ExactLayerPair(original: network, compared: compared)
        }
    }

    /// The bound at or below which a box needs no more work, when it is fixed:
    /// τ rounded down; for the flip metric just below 0 (a box closes once its
    /// margin is proved negative, strictly, since a margin of 0 can be a tie that
    /// changes class, and the search stops at the first candidate with a margin
    /// ≥ 0, which the replay then checks exactly); nil when measuring.
    static func closingThreshold(_ query: GlobalQuery) -> Double? {
        query.metric == .flip ? -Double.leastNonzeroMagnitude : query.tau?.roundedDown
    }

    /// One worker: takes the most promising box, splits it, bounds both
    /// halves, and closes a half exactly with Z3 (its own context) when few
    /// of its ReLUs are unstable.
    private static func work(frontier: SearchFrontier, bounder: BoxBounder, solver: BoxSolver, settings: SearchSettings,
                             share: EngineShare, deadline: Date?, reporter: ProgressThrottle) async {
        var z3: Context?
        while true {
            if Task.isCancelled { frontier.stop("the search was cancelled") }
            switch frontier.next() {
            case .done:
                return
            case .wait:
                try? await Task.sleep(nanoseconds: settings.idlePollNanoseconds)
            case .box(let parent, let ticket):
                var statistics = GlobalStatistics()
                guard let halves = split(parent) else {
                    frontier.finish(ticket: ticket, children: [], closed: parent.upper, candidate: nil,
                                    statistics: statistics, unsplittable: true)
                    continue
                }
                statistics.splits = 1
                var children: [OpenBox] = [], best: Candidate?, closed: Double?
                func consider(_ candidate: Candidate?) {
                    if let candidate, candidate.value > best?.value ?? -.infinity { best = candidate }
                }
                for half in halves {
                    var (child, candidate, bounds) = bounder.bound(half, depth: parent.depth + 1, known: parent.ranges,
                                                                statistics: &statistics)
                    child.exactFromDepth = parent.exactFromDepth
                    // The half lies inside the parent: the parent's bound holds for it too.
                    child.upper = min(child.upper, parent.upper)
                    if frontier.needsWork(child.upper), settings.refines(child.upper, closingBound: frontier.closingBound, bounds) {
                        bounder.refine(&child, &bounds, statistics: &statistics)
                    }
                    consider(candidate)
                    // The ReLU branch and bound first (concrete pairs), then Z3.
                    let engines: [(tries: Bool, budget: Double)] = [
                        (settings.branchesOnReLUs(child, bounds), settings.branchAndBoundBudget),
                        (settings.solvesExactly(child, bounds), settings.exactBudget),
                    ]
                    var isClosed = false
                    for (n, engine) in engines.enumerated()
                    where engine.tries && !isClosed && frontier.needsWork(child.upper)
                        && (share.allows || (n == 0 && settings.outgrowsShare(child))) {
                        do {
                            // Counted however the engine ends: closed, split, or failed.
                            defer { share.record(closed: isClosed) }
                            let budget = Date().addingTimeInterval(engine.budget)
                            let limit = deadline.map { min($0, budget) } ?? budget
                            let exact: (upper: Double, candidate: Candidate?)?
                            if n == 0 {
                                // For the logit metric the box closes once every ±(z'_i − z_i) is at most
                                // the frontier's closing bound (τ, or the best value plus the tolerance):
                                // an objective that gets there needs no more work.
                                let enough = bounder.metric.metric == .logit ? Rational(exactly: frontier.closingBound) : nil
                                exact = try share.charge { try solver.branchAndBound(half, bounds: bounds, deadline: limit,
                                                                  tolerance: settings.branchAndBoundTolerance,
                                                                  enough: enough, statistics: &statistics) }
                            } else if bounder.metric.metric == .flip {
                                // The flip question is decided, not measured: no flip closes the box
                                // (its margin is then at most 0); a flip is a witness that ends the search.
                                if z3 == nil { z3 = try Context() }
                                let decision = try share.charge {
                                    try solver.decideFlip(half, bounds: bounds, z3: z3!, deadline: limit, statistics: &statistics)
                                }
                                switch decision {
                                case .noFlip?:
                                    closed = max(closed ?? -.infinity, min(child.upper, 0))
                                    isClosed = true
                                case .flips(let witness)?:
                                    consider(witness)
                                case nil:
                                    break
                                }
                                exact = nil
                            } else {
                                if z3 == nil { z3 = try Context() }
                                exact = try share.charge {
                                    try solver.solve(half, bounds: bounds, z3: z3!, deadline: limit,
                                                     tolerance: settings.boxObjectiveTolerance, statistics: &statistics)
                                }
                            }
                            if let exact {
                                consider(exact.candidate)
                                // The logit metric is now settled; a probability bound from the exact
                                // logit range may still be loose, and then the box is split further.
                                if bounder.metric.metric == .logit || !frontier.needsWork(exact.upper) {
                                    closed = max(closed ?? -.infinity, exact.upper)
                                    isClosed = true
                                    break
                                }
                                child.upper = min(child.upper, exact.upper)
                            }
                            child.exactFromDepth = child.depth + settings.retryHalvingsPerInput * half.count
                        } catch let error as InternalError {
                            frontier.fail(error)
                        } catch where n == 0 {
                            // The LP could not be built or solved on this box: it is split instead.
                            child.exactFromDepth = child.depth + settings.retryHalvingsPerInput * half.count
                        } catch {
                            frontier.stop("Z3 failed on a box (\(error)); the bounds so far stand")
                        }
                    }
                    if !isClosed { children.append(child) }
                }
                frontier.finish(ticket: ticket, children: children, closed: closed, candidate: best, statistics: statistics)
                reporter.report(frontier)
            }
        }
    }

    /// The two halves of a box along its chosen input; nil when that input
    /// cannot be halved in binary64 any more.
    static func split(_ parent: OpenBox) -> [[Interval]]? {
        let i = parent.splitDimension
        let side = parent.box[i]
        let mid = side.midpoint
        guard side.lower < mid, mid < side.upper else { return nil }
        var left = parent.box, right = parent.box
        left[i] = Interval(side.lower, mid)
        right[i] = Interval(mid, side.upper)
        return [left, right]
    }

    /// Replays the best candidate exactly and assembles the answer.
    private static func finish(_ query: GlobalQuery, frontier: SearchFrontier, evaluator: PairEvaluator,
                               exact: ExactLayerPair, exactBox: [(lower: Rational, upper: Rational)], start: Date) throws -> GlobalResult {
        if let error = frontier.internalError { throw error }
        let (replayedWitness, replayFlips) = try replay(frontier.best, query: query, evaluator: evaluator,
                                                        exact: exact, exactBox: exactBox)
        let isFlip = query.metric == .flip
        // A flip margin may be negative; the deviations are at least 0.
        let lower = isFlip ? replayedWitness.deviation.lower : Rational.max(replayedWitness.deviation.lower, .zero)
        let provedUpper = frontier.upper
        // −∞: a shard with no part of the box to search (more shards than parts); it proves nothing above its witness.
        let upper = provedUpper == -.infinity ? lower
            : Rational.max(Rational(exactly: provedUpper.isFinite ? provedUpper : .greatestFiniteMagnitude)!, lower)
        // A flip witness counts only if the replay shows another class (a margin of 0 can be a tie that does not).
        let flips = isFlip && replayFlips

        var verdict: Verdict?
        if isFlip {
            // Every box was closed by a negative margin bound or by Z3's "no flip".
            let closedAll = frontier.isExhausted && !frontier.hadUnsplittableBoxes
            verdict = flips ? .notRobust : (closedAll || upper.isNegative ? .robust : .unknown)
        } else if let tau = query.tau {
            verdict = tau < lower ? .notRobust : (!(tau < upper) ? .robust : .unknown)
        }
        var reasons: [String] = []
        if let reason = frontier.stopReason { reasons.append(reason) }
        if provedUpper == .infinity { reasons.append("a bound overflowed binary64; no finite upper bound was proved") }
        if frontier.hadUnsplittableBoxes {
            reasons.append("some boxes became too small to split in binary64 before their bound closed")
        }
        if verdict == .unknown && reasons.isEmpty {
            reasons.append(isFlip ? "the flip margin's upper end is not below 0 and no input found changes class"
                                  : "the certified interval contains τ")
        }
        if query.tau == nil && !isFlip && query.tolerance < upper - lower && reasons.isEmpty {
            reasons.append("the interval is wider than the tolerance")
        }
        let keepsWitness = isFlip ? flips : !lower.isZero
        return GlobalResult(verdict: verdict, deviation: DeviationBounds(lower: lower, upper: upper),
                            witness: keepsWitness ? replayedWitness : nil,
                            reason: reasons.isEmpty ? nil : reasons.joined(separator: "; "),
                            seconds: Date().timeIntervalSince(start), statistics: frontier.statistics)
    }

    /// A candidate replayed exactly: pulled into the exact box (candidates come
    /// from the outward-rounded one; a non-finite coordinate, which no candidate
    /// should have, becomes the box's lower end), both networks evaluated in
    /// rationals, and for a perturbation set its parameters checked to lie in Θ_Δ.
    /// - Returns: the witness, and whether the compressed network gives it another class.
    /// - Throws: ``CompressionError`` when the parameters leave Θ_Δ: the same
    ///   policy as local queries, a witness outside it is a bug and nothing is reported from it.
    static func replay(_ candidate: Candidate, query: GlobalQuery, evaluator: PairEvaluator, exact: ExactLayerPair,
                       exactBox: [(lower: Rational, upper: Rational)]) throws -> (witness: Witness, flips: Bool) {
        let network = query.network
        var candidate = candidate
        let point: [Rational]
        if case .solved(let exact, _) = candidate.origin {
            point = exact
        } else {
            point = zip(candidate.point, exactBox).map { Rational(exactly: $0) ?? $1.lower }
        }
        let clamped = zip(point, exactBox).map { x, b in
            Rational.min(Rational.max(x, b.lower), b.upper)
        }
        candidate.point = clamped.map(\.approximateDouble)
        let replayed = evaluator.replay(candidate, exact: exact, exactPoint: clamped)
        if let parameters = replayed.parameters, case .perturbation(let set) = query.compression {
            try set.requireMember(parameters, around: network)
        }
        let raw = network.normalization.map { n in
            clamped.indices.map { i in clamped[i] * Rational(exactly: n.ranges[i])! + Rational(exactly: n.means[i])! }
        } ?? clamped
        let metric = MetricEvaluator(metric: query.metric, output: network.output, original: replayed.original)
        return (metric.witness(at: raw, compressed: replayed.compressed, parameters: replayed.parameters),
                metric.flips(replayed.compressed))
    }
}
