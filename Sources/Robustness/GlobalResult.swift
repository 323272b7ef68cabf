import ExactArithmetic

/// Counters of a global search.
/// Encoded in JSON reports under these names.
public struct GlobalStatistics: Sendable, Equatable, Codable {
    /// Boxes whose bounds were computed.
    public var boxes = 0
    /// Boxes whose first bounds left them open and were tightened by
    /// back-substituting `u' − u` through both networks at once
    /// (``DifferentialAnalysis/refined(_:over:)``; concrete pairs of the same shape, 3+ inputs).
    public var refinedBoxes = 0
    /// Boxes split in two.
    public var splits = 0
    /// Boxes closed exactly by Z3.
    public var exactBoxes = 0
    /// Boxes closed by the ReLU branch and bound (``PairLP``), to within a quarter of the tolerance or below τ.
    public var lpBoxes = 0
    /// Linear programs solved by the ReLU branch and bound (``PairLP``).
    public var lpNodes = 0
    /// ReLU phase splits made by the branch and bound.
    public var reluSplits = 0
    /// Z3 satisfiability checks and optimisation calls.
    public var solverCalls = 0
    /// Points at which both networks were evaluated in search of a witness.
    public var candidates = 0
    /// The deepest split.
    public var depth = 0

    public init() {}

    /// Reads statistics written before `refinedBoxes` existed (a shard's
    /// results file from an earlier build) as having none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        boxes = try c.decode(Int.self, forKey: .boxes)
        refinedBoxes = try c.decodeIfPresent(Int.self, forKey: .refinedBoxes) ?? 0
        splits = try c.decode(Int.self, forKey: .splits)
        exactBoxes = try c.decode(Int.self, forKey: .exactBoxes)
        lpBoxes = try c.decode(Int.self, forKey: .lpBoxes)
        lpNodes = try c.decode(Int.self, forKey: .lpNodes)
        reluSplits = try c.decode(Int.self, forKey: .reluSplits)
        solverCalls = try c.decode(Int.self, forKey: .solverCalls)
        candidates = try c.decode(Int.self, forKey: .candidates)
        depth = try c.decode(Int.self, forKey: .depth)
    }

    mutating func add(_ other: GlobalStatistics) {
        boxes += other.boxes
        refinedBoxes += other.refinedBoxes
        splits += other.splits
        exactBoxes += other.exactBoxes
        solverCalls += other.solverCalls
        lpBoxes += other.lpBoxes
        lpNodes += other.lpNodes
        reluSplits += other.reluSplits
        candidates += other.candidates
        depth = max(depth, other.depth)
    }
}

/// A snapshot of a running global search, for progress reports.
public struct GlobalProgress: Sendable {
    /// The certified interval so far (lower from the best point found, not yet replayed exactly).
    public var lower: Double
    public var upper: Double
    /// Boxes still open.
    public var openBoxes: Int
    public var statistics: GlobalStatistics
    public var seconds: Double
}

/// The answer to a ``GlobalQuery``.
public struct GlobalResult: Sendable {
    /// The verdict; nil when no τ was given.
    public var verdict: Verdict?
    /// The maximal deviation over the box: `lower` reached by the witness
    /// (replayed exactly), `upper` proved.
    public var deviation: DeviationBounds
    /// The input (and, for perturbation sets, parameters) reaching `deviation.lower`.
    public var witness: Witness?
    /// Why the answer is `unknown` or the interval is wider than the tolerance.
    public var reason: String?
    public var seconds: Double
    public var statistics: GlobalStatistics
    /// For a shard (``GlobalQuery/shard``): the parts of the box it searched.
    public var shardParts: ShardParts?

    /// The answer that stands when a search is stopped at `progress`: the
    /// proved upper end, a lower end of 0 (the best candidate is replayed only
    /// when the search finishes), and with τ `robust` only if the upper end is
    /// at most τ. For callers that must stop a search Z3 does not let go of.
    /// For the flip metric (`flip`), `robust` only if the margin's upper end is below 0, and the
    /// lower end is the most negative binary64 number (no margin was replayed).
    public static func provisional(_ progress: GlobalProgress, tau: Rational?, flip: Bool = false) -> GlobalResult {
        let upper = progress.upper.isFinite ? Rational(exactly: progress.upper)! : Rational(exactly: Double.greatestFiniteMagnitude)!
        let robust = flip ? upper.isNegative : (tau.map { !($0 < upper) } ?? false)
        return GlobalResult(
            verdict: tau == nil && !flip ? nil : (robust ? .robust : .unknown),
            deviation: DeviationBounds(lower: flip ? -Rational(exactly: Double.greatestFiniteMagnitude)! : .zero, upper: upper), witness: nil,
            reason: robust ? nil : (flip ? "the time limit was reached; the best candidate was not replayed, so no margin is known"
                                         : "the time limit was reached; the best candidate was not replayed, so the lower end is 0"),
            seconds: progress.seconds, statistics: progress.statistics)
    }
}
