import Bounds
import ExactArithmetic
import Foundation

/// The constants that steer a global search, in one place with their reasons.
///
/// None of them affects soundness: they decide where the time goes (split
/// a box further, or hand it to Z3; how long to wait), never what counts as
/// proved. Changing one changes speed, and the benchmarks say by how much.
struct SearchSettings: Sendable {
    /// A box goes to Z3 once at most this many of its ReLUs are unstable.
    ///
    /// Perturbation sets need Z3: their bounds stay loose even on tiny boxes,
    /// because the Lemma's per-neuron offsets combine across layers, and a
    /// neuron whose pre-activation is within its radius of 0 stays unstable
    /// however small the box. Concrete pairs need it only beyond two inputs,
    /// where splitting alone gets expensive; in 2-D, boxes whose ReLUs are all
    /// stable already have exact bounds (−1 turns Z3 off there).
    var unstableLimit: Int
    /// A box goes to Z3 whatever its unstable count once it has been halved
    /// this often (6 halvings per input).
    var depthLimit: Int
    /// Z3's budget for one box, in seconds. A box it cannot close in that time
    /// is split, and its descendants try again only after each input has been
    /// halved ``retryHalvingsPerInput`` more times.
    var exactBudget = 2.0
    var retryHalvingsPerInput = 2
    /// How close to the optimum Z3's search for a box's objective stops (2^-40):
    /// far below any tolerance a user asks, and the box's bound is the proved end.
    var boxObjectiveTolerance = Rational(1, 1 << 40)
    /// How long past the time limit the search waits for a worker stuck in a
    /// Z3 step that ignores interrupts, before answering without it (seconds).
    var workerGrace = 0.3
    /// How long a worker with nothing to do waits before asking again (200 µs):
    /// boxes in flight elsewhere may return children soon.
    var idlePollNanoseconds: UInt64 = 200_000

    /// A box of a concrete pair goes to the ReLU branch and bound (``PairLP``)
    /// once at most this many ReLUs of the two networks are unstable (−1: never).
    ///
    /// With many inputs, halving the box tightens the bounds slowly (30
    /// inputs need 30 halvings to halve every side once), while fixing a
    /// ReLU's phase removes its relaxation at once. With few inputs splitting
    /// the box is cheaper: on ACAS Xu (5 inputs, 600 ReLUs) each LP takes
    /// tens of milliseconds, and property 1 without τ ended at
    /// [4.2e-5, 0.061] after 60 s with the branch and bound against
    /// [5.0e-5, 6.7e-4] without it.
    var branchAndBoundUnstableLimit: Int
    /// A box goes to the ReLU branch and bound whatever its unstable count once
    /// it has been halved this often (perturbation sets: twice per input; else
    /// never). Halving a box does not stabilise a ReLU that the parameters alone
    /// keep straddling 0, and the Lemma's parameter term of a box's bound does
    /// not shrink with the box, while the branch and bound closes such boxes in
    /// a few LPs: diff2d big's 8-bit set over its box is pinned in 3.8 s, 32
    /// boxes closed by it; waiting for at most 24 unstable ReLUs left it open
    /// after 60 s (measured before paying engines went uncapped: from 2
    /// halvings per input 2.5 s, from 4 21 s, from 6 over 60 s).
    var branchAndBoundDepthLimit = Int.max
    /// Past this depth the branch and bound may try a box even when the engines
    /// have used up their share (``EngineShare``; perturbation sets: 6 halvings
    /// per input). Splitting alone never closes such a box, and holding the
    /// engine back split diff2d mid's 8-bit set to binary64's resolution
    /// (105 halvings) without closing it: [0.0877, 0.1925] after 60 s.
    var shareBypassDepth = Int.max
    /// The branch and bound's budget for one box, in seconds; a box it cannot
    /// settle in that time is split (and retried as for Z3).
    var branchAndBoundBudget = 2.0
    /// How close to its witness each objective of the branch and bound is
    /// pushed: a quarter of the query's tolerance, so that a closed box does
    /// not use up the tolerance by itself.
    var branchAndBoundTolerance: Rational
    /// The largest share of the workers' time the ReLU branch and bound and Z3
    /// may take together, and the seconds they get before earning any
    /// (``EngineShare``): with a half, a search whose engines never close a box
    /// takes at most about twice as long as splitting alone. Over ACAS Xu's
    /// property 1 with the float16 perturbation set at τ = 0.05 they took
    /// every second of 120 s (Z3 and 170 ms LP nodes on boxes splitting
    /// closes in a few ms) where splitting alone decides in 7 s. (1: no limit,
    /// where splitting cannot close what the engines do.)
    var engineShare = 0.5
    var engineAllowance = 0.5
    /// Whether box bounds tighten straddling ReLU ranges by back-substitution
    /// (``DifferentialAnalysis``'s `backSubstitutes`). Perturbation sets always:
    /// forward forms let the Lemma's offsets pile up (over 1/128 of ACAS Xu
    /// property 1's box, 73 unstable ReLUs of the perturbed network against
    /// 11, and a logit bound of 1.2 against 0.021). Concrete pairs from three
    /// inputs: on ACAS Xu's properties it cuts the boxes 3–15× and the time up
    /// to 2.6×, while in 2-D the boxes are as many and each dearer.
    var backSubstitutes: Bool
    /// A box its first bounds leave open is refined (``BoxBounder/refine``:
    /// `u' − u` back-substituted through both networks at once) when its
    /// bound is at most this many times the closing bound, or when at most
    /// ``refinementUnstableLimit`` of its ReLUs are unstable. Other boxes are
    /// shallow ones with hundreds of unstable ReLUs: they are split whatever
    /// the refinement gives, and there it costs more than the split. Only
    /// where the analysis refines (concrete pairs of the same shape from three
    /// inputs).
    ///
    /// ACAS Xu against float16 at τ = 0.05 (all five outputs): refining every
    /// open box cut the boxes (property 3: 1,143 → 47) but made properties 1,
    /// 16 and 26 slower than without refinement (0.15 → 0.28, 0.27 → 0.42,
    /// 0.14 → 0.21 s); within 10× they take 0.17 / 0.08 / 0.24 / 0.12 s, within
    /// 3× 0.16 / 0.09 / 0.27 / 0.13 s (properties 1, 3, 16, 26). Property 1
    /// without τ is pinned to 1e-5 in 3 s either way.
    ///
    /// Measuring without τ, the closing bound is the best witness plus the
    /// tolerance, and boxes far above it can be deep: property 3's maximum
    /// (about 1.7e-3) stood at [0.0015, 0.024] after 30 s with the reach
    /// alone, and at [0.00167, 0.00181] when boxes with at most 32 or 64
    /// unstable ReLUs are refined too (the τ decisions above: equal within
    /// noise, property 26 0.136 → 0.128 s with 64).
    var refinementReach = 10.0
    var refinementUnstableLimit = 64

    init(_ query: GlobalQuery) {
        let n = query.network.inputSize
        switch query.compression {
        case .perturbation:
            (unstableLimit, depthLimit) = (6, 6 * n)
            branchAndBoundUnstableLimit = 24
            branchAndBoundDepthLimit = 2 * n
            shareBypassDepth = 6 * n
        case .concrete:
            (unstableLimit, depthLimit) = n >= 3 ? (6, 6 * n) : (-1, Int.max)
            branchAndBoundUnstableLimit = n >= 8 ? 64 : -1
        case .quantized:
            // Few inputs: a box meeting a few cells of the input quantizer is bounded cell by
            // cell (Bounds' QuantizedEnclosure), which beats Z3. More inputs: splitting alone
            // stalls on the steps' edges, so Z3 closes boxes with the rounding encoded exactly
            // (QuantizedEncoding) once each input has been halved three times (earlier, its
            // integer variables make a box's checks take tens of seconds); the LP does not model it.
            (unstableLimit, depthLimit) = n >= 3 ? (-1, 3 * n) : (-1, Int.max)
            branchAndBoundUnstableLimit = -1
            // Each check carries integer variables: fewer, longer ones. A box needs its
            // objectives only to a quarter of the query's tolerance to close.
            exactBudget = 10
            boxObjectiveTolerance = query.tolerance * Rational(1, 4)
        }
        var lpNetworks = [query.network]
        if case .concrete(let g) = query.compression { lpNetworks.append(g) }
        if !PairLP.models(lpNetworks) {
            // Linear hidden layers: the LP cannot be built, and each box's attempt would count
            // as an engine that failed, holding Z3 back through the share and putting its next
            // try two halvings per input further down. The zoo's xor-linear-16-s3 with the 4-bit
            // set ran past 30 s and a million boxes that way; Z3 alone pins it in about 1.3 s.
            (branchAndBoundUnstableLimit, branchAndBoundDepthLimit) = (-1, .max)
        }
        var isQuantized = false
        if case .quantized = query.compression { isQuantized = true }
        if query.metric == .flip && !isQuantized {
            // A box on both decision boundaries never closes by its bound (its margin's
            // supremum can be 0 without a flip): one satisfiability check decides it. (A QDQ
            // pair keeps its own policy: its checks are slow, and its steps make such ties rare.)
            (unstableLimit, depthLimit) = (max(unstableLimit, 8), min(depthLimit, 4 * n))
        }
        if isQuantized || query.metric == .flip {
            // Splitting cannot close what these leave to Z3 (a box across a quantizer's step, a
            // box on both decision boundaries): the engines may take all the time.
            engineShare = 1
        }
        switch query.compression {
        case .perturbation: backSubstitutes = true
        case .concrete: backSubstitutes = n >= 3
        case .quantized: backSubstitutes = false
        }
        branchAndBoundTolerance = query.tolerance * Rational(1, 4)
    }

    /// Whether a box left open with this bound and these bounds is worth refining
    /// (``refinementReach``, ``refinementUnstableLimit``); always where the closing
    /// bound is not positive (the flip metric's margin).
    func refines(_ upper: Double, closingBound: Double, _ bounds: PairBounds) -> Bool {
        closingBound <= 0 || upper <= refinementReach * closingBound || bounds.unstableCount <= refinementUnstableLimit
    }

    /// Whether the ReLU branch and bound should try to close this box now.
    func branchesOnReLUs(_ box: OpenBox, _ bounds: PairBounds) -> Bool {
        box.depth >= box.exactFromDepth
            && (bounds.unstableCount <= branchAndBoundUnstableLimit || box.depth >= branchAndBoundDepthLimit)
    }

    /// Whether the ReLU branch and bound may try this box even when the engines
    /// have used up their share (past ``shareBypassDepth``).
    func outgrowsShare(_ box: OpenBox) -> Bool {
        box.depth >= shareBypassDepth
    }

    /// Whether Z3 should try to close this box now.
    func solvesExactly(_ box: OpenBox, _ bounds: PairBounds) -> Bool {
        box.depth >= box.exactFromDepth && (bounds.unstableCount <= unstableLimit || box.depth >= depthLimit)
    }
}
