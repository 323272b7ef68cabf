import Bounds
import LPBounds

/// A ReLU `h = relu(u)` whose phase the bounds do not fix (`L < 0 < U`), as
/// a linear program encodes it: variables u, h and the gap `t = h − u`, with
/// the triangle relaxation `t ≥ 0, h ≥ 0, h ≤ s·(u − L)`, `s ≥ U/(U − L)`.
struct UnstableReLU: Sendable {
    /// Where the neuron is: its layer and index (in its network).
    var layer: Int, neuron: Int
    var pre: Int, post: Int, gap: Int
    /// The row of the chord `h ≤ s·(u − L)`, whose dual the branching rule weighs.
    var chord: Int
    /// The chord's slope s.
    var slope: Double
    var lower: Double, upper: Double
}

/// A ReLU phase fixed by branching.
enum ReluPhase: Sendable { case active, inactive }

/// A linear program over ReLU networks in which the unstable ReLUs have the
/// triangle relaxation. Fixing a phase only changes variable bounds (active:
/// `u ≥ 0, t = 0`; inactive: `u ≤ 0, h = 0`), so one GLPK problem serves every
/// node of a ``ReluBranchAndBound``, warm-started.
protocol PhaseSplitLP: AnyObject {
    var unstable: [UnstableReLU] { get }
    var solver: CertifiedLP { get }
}

extension PhaseSplitLP {
    /// Sets every unstable neuron's bounds for a node's phases.
    func apply(_ phases: [Int: ReluPhase]) throws {
        for (i, neuron) in unstable.enumerated() {
            switch phases[i] {
            case nil:
                try solver.setBounds(neuron.pre, lower: neuron.lower, upper: neuron.upper)
                try solver.setBounds(neuron.post, lower: 0, upper: neuron.upper)
                try solver.setBounds(neuron.gap, lower: 0, upper: -neuron.lower)
            case .active:
                try solver.setBounds(neuron.pre, lower: 0, upper: neuron.upper)
                try solver.setBounds(neuron.post, lower: 0, upper: neuron.upper)
                try solver.setBounds(neuron.gap, lower: 0, upper: 0)
            case .inactive:
                try solver.setBounds(neuron.pre, lower: neuron.lower, upper: 0)
                try solver.setBounds(neuron.post, lower: 0, upper: 0)
                try solver.setBounds(neuron.gap, lower: 0, upper: -neuron.lower)
            }
        }
    }

    /// How far the LP point is from `h = relu(u)` at each unstable neuron
    /// (0 where it agrees).
    func violations(at point: [Double]) -> [Double] {
        unstable.map { neuron in
            point[neuron.pre] >= 0 ? Swift.max(0, point[neuron.gap]) : Swift.max(0, point[neuron.post])
        }
    }

    /// The branching rule's score of each unstable neuron at the LP optimum:
    /// 0 where the point agrees with `h = relu(u)` (splitting there cannot move
    /// this optimum), else the part of the bound that the chord's intercept
    /// buys, `λ·s·(−L)` with λ the chord row's dual (both children drop the
    /// chord), plus a small multiple of the violation to order neurons whose
    /// chord is slack.
    func branchingScores(at point: [Double]) -> [Double] {
        let duals = solver.rowDuals
        return zip(unstable, violations(at: point)).map { neuron, violation in
            guard violation > 0 else { return 0 }
            return Swift.max(0, duals[neuron.chord]) * neuron.slope * -neuron.lower + 1e-9 * violation
        }
    }
}

extension LinearProgram {
    /// The output of `relu(u)` for the variable u ∈ `range`: u itself where the
    /// range fixes the ReLU active, nil (always 0) where it fixes it inactive,
    /// else the triangle relaxation's h, with the neuron to branch on.
    mutating func addReLU(layer: Int, neuron: Int, pre u: Int, range: Interval) throws -> (post: Int?, unstable: UnstableReLU?) {
        if range.lower >= 0 { return (u, nil) }
        if range.upper <= 0 { return (nil, nil) }
        let relaxed = try addTriangleReLU(layer: layer, neuron: neuron, pre: u, lower: range.lower, upper: range.upper)
        return (relaxed.post, relaxed)
    }

    /// Adds `h = relu(u)` for the variable u ∈ [L, U] with `L < 0 < U`: the
    /// variables h and t and the rows of the triangle relaxation.
    mutating func addTriangleReLU(layer: Int, neuron: Int, pre u: Int, lower: Double, upper: Double) throws -> UnstableReLU {
        let h = try addVariable(lower: 0, upper: upper)
        let t = try addVariable(lower: 0, upper: -lower)
        let one = Interval(1, 1), minusOne = Interval(-1, -1)
        try addRow([(h, one), (u, minusOne), (t, minusOne)], .atMost, 0)
        try addRow([(h, one), (u, minusOne), (t, minusOne)], .atLeast, 0)
        // The chord through (L, 0) and (U, U), with a slope rounded up: h ≤ s·(u − L).
        let slope = (upper / (upper - lower)).nextUp.nextUp
        let chord = try addRow([(h, one), (u, Interval(-slope, -slope))], .atMost, (Interval(-slope, -slope) * Interval(lower, lower)).upper)
        return UnstableReLU(layer: layer, neuron: neuron, pre: u, post: h, gap: t, chord: chord, slope: slope, lower: lower, upper: upper)
    }
}
