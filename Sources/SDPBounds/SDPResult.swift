import Bounds

/// The SDP over one box of inputs: `Σ_{i ∈ outputs} d_i² ≤ certified` there.
public struct SDPBoxBound: Sendable {
    /// The box of normalised inputs (x₁'s).
    public var box: [Interval]
    /// The proved upper bound: CSDP's γ, plus `ballMultiplier · dim ζ` when
    /// `−M(y) ⪰ 0` held only up to a small negative eigenvalue; unscaled,
    /// rounded up, and no larger than ``intervalBound`` or the bound of the
    /// box it was split from (both hold as well).
    public var certified: Double
    /// CSDP's optimum, unscaled: a number, not a proof. Nil when no SDP was
    /// solved (the difference is 0 on the box) or CSDP gave no answer (``CSDPStatus/hasNoSolution``).
    public var solverValue: Double?
    /// The bound from the Bounds module's difference ranges alone (`Σ max(lo², hi²)`).
    public var intervalBound: Double
    /// 0 when `−M(y) ⪰ 0` was proved as it is; otherwise the multiplier of
    /// the ball constraint `‖ζ‖² ≤ dim ζ` that makes `−M ⪰ 0` provable.
    public var ballMultiplier: Double
    /// CSDP's return code; nil when no SDP was needed (the difference is identically 0 on the box).
    public var status: CSDPStatus?
    /// The order of the LMI (dim ζ), the ReLUs that needed a coordinate, and
    /// the quadratic constraints (and how many of them are slope constraints on pairs).
    public var dimension: Int
    public var unstableReLUs: Int
    public var constraints: Int
    public var pairConstraints: Int
    /// The SDP that was solved, for ``SDPProblem/writeSDPA(to:comment:)``.
    public var problem: SDPProblem?
    /// Whether CSDP's y could not be certified, so that ``certified`` is the bound propagation's bound.
    public var uncertified = false
    /// The SDP's size and estimated cost (nil when none was needed).
    public var cost: SDPCost?
    /// Why the SDP was neither built nor solved (it would not fit the memory
    /// or time limit, with the estimate); ``certified`` is then the bound propagation's bound.
    public var refusal: String?
    /// The input to halve when this box is split: the one its unstable ReLUs
    /// depend on most (``PairBounds/reluSmear``), nil to take the relatively widest.
    var splitInput: Int? = nil
    /// The pairs its SDP had (full, layer or diagonal); nil when none was built.
    public var pairs: NeuronPairs? = nil
    /// Whether its LMI was one block (`none`) or a block per hidden layer (`layers`); nil when none was built.
    public var decomposition: LMIDecomposition? = nil
}

/// A certified bound on `Σ_{i ∈ outputs} d_i²` over the whole question:
/// the largest of its boxes' bounds.
public struct SDPBound: Sendable {
    /// The outputs (0-based) whose squared differences are summed: all of them for the norm.
    public var outputs: [Int]
    /// The proved upper bound.
    public var certified: Double
    /// The first SDP, over the whole box (the formulation without input splitting).
    public var wholeBox: SDPBoxBound
    /// The boxes the input was split into (one when it was not split), each with its SDP.
    public var boxes: [SDPBoxBound]
    public var seconds: Double
    /// Whether a limit cut the work short: a CSDP solve was stopped, an SDP
    /// was refused as too large for the memory or time left, or the splitting
    /// ended before ``SDPQuery/boxes`` boxes. The bound holds either way.
    public var stoppedByLimit: Bool
}

/// The answer to an ``SDPQuery``.
public struct SDPResult: Sendable {
    /// The bound on `‖f₁(x₁) − f₂(x₂)‖²`.
    public var squaredNorm: SDPBound
    /// One bound per output when there are two or more (each `d_i²`).
    public var perOutput: [SDPBound]
    public var seconds: Double
    /// Anything the reader should know (CSDP's own warnings, parameter files, limits).
    public var notes: [String]

    /// Whether the time limit cut any of the bounds short (then the CLI exits 2, "unknown").
    public var stoppedByLimit: Bool { ([squaredNorm] + perOutput).contains(where: \.stoppedByLimit) }
}

/// CSDP returned a y from which no bound could be certified.
public struct SDPSolveError: Error, Sendable, CustomStringConvertible {
    public var status: CSDPStatus
    public var outputs: [Int]

    public var description: String {
        let which = outputs.map { String($0 + 1) }.joined(separator: ",")
        if status.hasNoSolution { return "the SDP for output(s) \(which) has no answer: \(status.meaning)" }
        return "the SDP for output(s) \(which) could not be certified: \(status) (CSDP's y does not make −M(y) positive semidefinite even after a shift of 1% of max(largest entry, 1))"
    }
}
