import ExactArithmetic
import Foundation
import HeapModule
import LPBounds
import NeuralNetwork

/// Branch and bound over the phases of unstable ReLUs for one linear
/// objective (the case splits of β-CROWN and Marabou, with an LP at every node).
///
/// Each node fixes some ReLU phases; its bound is the LP of a ``PhaseSplitLP``,
/// proved by ``CertifiedLP`` from the duals, and a node GLPK reports
/// infeasible is dropped only when that is proved. The node with the largest
/// bound is split on the ReLU whose LP point is farthest from `h = relu(u)`.
/// Lower bounds come only from witnesses near LP points, replayed exactly by
/// `replay` (a member of Θ_Δ for a local perturbation query, an input of the
/// box for a pair). The search ends when the largest open bound is within the
/// tolerance of the best witness (or at most `enough`), when nothing is left
/// open, or at the deadline; the largest open bound is then the proved upper end.
struct ReluBranchAndBound<LP: PhaseSplitLP, Witness> {
    let encoding: LP
    let tolerance: Rational
    /// An upper end at or below which the objective needs no more work (τ,
    /// when a decision is asked), if any.
    var enough: Rational?
    /// The exact objective value of a witness near an LP point, or nil when
    /// its binary64 estimate does not beat `best` (then nothing is replayed).
    let replay: (_ point: [Double], _ best: Rational) throws -> (value: Rational, witness: Witness)?

    /// What the search proved and found.
    struct Outcome {
        var lower: Rational
        var witness: Witness?
        var upper: Rational
        /// Set when the search stopped before `upper − lower ≤ tolerance` (and above `enough`).
        var reason: String?
        var lpNodes = 0
        var reluSplits = 0
        var replays = 0
    }

    private struct Node: Comparable {
        var phases: [Int: ReluPhase]
        var upper: Double
        var point: [Double]
        static func < (a: Node, b: Node) -> Bool { a.upper < b.upper }
        static func == (a: Node, b: Node) -> Bool { a.upper == b.upper }
    }

    /// Narrows `[lower, upper]`, where `lower` is reached by `witness` (if any) and `upper` is proved.
    func run(lower: Rational, witness: Witness?, upper start: Rational, deadline: Date?) throws -> Outcome {
        var best = Outcome(lower: lower, witness: witness, upper: start)
        var open = Heap<Node>()
        /// Bounds of nodes on which nothing more can be proved (an LP that answered
        /// nothing, or a node without violated ReLUs whose optimum was not reached):
        /// set aside, but counted in the upper end.
        var stuck: [Double] = []
        var reason: String?
        /// Whether a bound needs no more work.
        func closes(_ upper: Double) -> Bool {
            guard let bound = Rational(exactly: upper) else { return false }
            return bound - best.lower <= tolerance || enough.map { bound <= $0 } == true
        }

        /// Solves the LP under `phases`; nil when the node is proved empty or cannot beat the best witness.
        func evaluate(_ phases: [Int: ReluPhase], parentUpper: Double) throws -> Node? {
            try encoding.apply(phases)
            best.lpNodes += 1
            switch encoding.solver.maximize(timeLimit: deadline.map { Swift.max(0.001, $0.timeIntervalSinceNow) }) {
            case .infeasible:
                return nil
            case .unknown(let why):
                // An LP stopped by the deadline is a timeout like any other: the node
                // keeps its parent's bound, set aside.
                if deadline.map({ Date() >= $0 }) == true {
                    reason = "timeout"
                    stuck.append(parentUpper)
                    return nil
                }
                // Otherwise (an infeasibility GLPK claims but that cannot be proved, …) the
                // node keeps its parent's bound and is split blindly: its children's LPs differ.
                guard phases.count < encoding.unstable.count else {
                    reason = why
                    stuck.append(parentUpper)
                    return nil
                }
                return Node(phases: phases, upper: parentUpper, point: [])
            case .bounded(let upper, let point):
                if let found = try replay(point, best.lower) {
                    best.replays += 1
                    if best.lower < found.value { (best.lower, best.witness) = (found.value, found.witness) }
                }
                // A node whose bound the best witness already reaches holds nothing better.
                let bound = Swift.min(upper, parentUpper)
                return bound > best.lower.approximateDouble ? Node(phases: phases, upper: bound, point: point) : nil
            }
        }

        let startUpper = start.roundedUp
        if let root = try evaluate([:], parentUpper: startUpper) { open.insert(root) }
        while let node = open.max {
            if closes(node.upper) { break }
            if let deadline, Date() >= deadline { reason = "timeout"; break }
            open.removeMax()
            // A node without an LP point (its LP proved nothing) is split on its first free ReLU.
            let violations = node.point.isEmpty
                ? encoding.unstable.indices.map { node.phases[$0] == nil ? 1.0 : 0 } : encoding.violations(at: node.point)
            let candidates = violations.indices.filter { node.phases[$0] == nil }
            guard let split = candidates.max(by: { violations[$0] < violations[$1] }), violations[split] > 0 else {
                // The LP point satisfies h = relu(u) everywhere: its optimum is reached
                // up to rounding, and evaluate() has replayed that witness. Splitting
                // cannot move the bound any more, so it stands.
                stuck.append(node.upper)
                if !closes(node.upper) {
                    reason = reason ?? "the LP optimum of a node without violated ReLUs was not reached within the tolerance"
                }
                continue
            }
            best.reluSplits += 1
            for phase in [ReluPhase.active, .inactive] {
                var phases = node.phases
                phases[split] = phase
                if let child = try evaluate(phases, parentUpper: node.upper) { open.insert(child) }
            }
        }
        let largestOpen = ([open.max?.upper].compactMap { $0 } + stuck).max()
        let openUpper = largestOpen.map { Rational(exactly: $0) ?? start } ?? best.lower
        best.upper = Rational.min(start, Rational.max(openUpper, best.lower))
        let settled = best.upper - best.lower <= tolerance || enough.map { best.upper <= $0 } == true
        best.reason = settled ? nil : (reason ?? "the branch and bound stopped")
        return best
    }
}

extension ReluBranchAndBound where LP == PerturbationLP, Witness == ReplayedWitness {
    /// The local perturbation query's objective `Σ c_i z'_i` at the normalised input x:
    /// witnesses are members of Θ_Δ near the LP point (``PerturbationLP/witness(at:objective:)``).
    /// Their membership holds by construction (|θ| ≤ 1); ``LocalRobustness`` checks
    /// the witness it reports, since checking costs more than the replay.
    init(encoding: PerturbationLP, objective: [Rational], input x: [Rational], tolerance: Rational) {
        self.init(encoding: encoding, tolerance: tolerance) { point, best in
            let (parameters, estimate) = encoding.witness(at: point, objective: objective)
            guard estimate > best.approximateDouble else { return nil }
            let logits = Network.exactLogits(layers: parameters, normalizedInput: x)
            let value = zip(objective, logits).map { $0 * $1 }.sum()
            return (value, ReplayedWitness(parameters: parameters, neuronValues: nil, logits: logits))
        }
    }

    /// Narrows `start` (back-substitution's bounds and witness).
    func run(from start: ObjectiveBounds, deadline: Date?, statistics: inout QueryStatistics) throws -> ObjectiveBounds {
        let outcome = try run(lower: start.lower, witness: start.best, upper: start.upper, deadline: deadline)
        statistics.lpNodes += outcome.lpNodes
        statistics.reluSplits += outcome.reluSplits
        statistics.replays += outcome.replays
        return ObjectiveBounds(lower: outcome.lower, upper: outcome.upper, best: outcome.witness ?? start.best,
                               reason: outcome.reason)
    }
}
