import Compression
import ExactArithmetic
import Foundation
import HeapModule
import LPBounds
import NeuralNetwork

/// Branch and bound over the phases of unstable ReLUs for one objective of a
/// local perturbation query (the case splits of β-CROWN and Marabou, with an
/// LP at every node).
///
/// Each node fixes some ReLU phases; its bound is ``PerturbationLP``'s LP,
/// proved by ``CertifiedLP`` from the duals, and a node GLPK reports
/// infeasible is dropped only when that is proved. The node with the largest
/// bound is split on the ReLU whose LP point is farthest from `h = relu(u)`.
/// Lower bounds come only from witnesses (``PerturbationLP/witness(at:objective:)``)
/// replayed exactly; the one the query reports is checked to lie in Θ_Δ (a
/// failure is an ``InternalError``, and then nothing is reported). The search ends when the
/// largest open bound is within the tolerance of the best witness, when
/// nothing is left open, or at the deadline; the largest open bound is then
/// the proved upper end.
struct ReluBranchAndBound {
    let encoding: PerturbationLP
    let objective: [Rational]
    let network: Network
    let set: PerturbationSet
    let input: [Rational]
    let tolerance: Rational

    private struct Node: Comparable {
        var phases: [Int: PerturbationLP.Phase]
        var upper: Double
        var point: [Double]
        static func < (a: Node, b: Node) -> Bool { a.upper < b.upper }
        static func == (a: Node, b: Node) -> Bool { a.upper == b.upper }
    }

    /// Narrows `start` (back-substitution's bounds and witness).
    func run(from start: ObjectiveBounds, deadline: Date?, statistics: inout QueryStatistics) throws -> ObjectiveBounds {
        var best = start
        var open = Heap<Node>()
        /// Bounds of nodes on which nothing more can be proved (an LP that answered
        /// nothing, or a node without violated ReLUs whose optimum was not reached):
        /// set aside, but counted in the upper end.
        var stuck: [Double] = []
        var reason: String?
        /// Whether a bound is within the tolerance of the best witness.
        func closes(_ upper: Double) -> Bool {
            Rational(exactly: upper).map { $0 - best.lower <= tolerance } ?? false
        }

        /// Solves the LP under `phases`; nil when the node is proved empty or cannot beat the best witness.
        func evaluate(_ phases: [Int: PerturbationLP.Phase], parentUpper: Double) throws -> Node? {
            try encoding.apply(phases)
            statistics.lpNodes += 1
            switch encoding.solver.maximize(timeLimit: deadline.map { Swift.max(0.001, $0.timeIntervalSinceNow) }) {
            case .infeasible:
                return nil
            case .unknown(let why):
                // An LP stopped by the deadline is a timeout like any other.
                reason = deadline.map { Date() >= $0 } == true ? "timeout" : why
                // Nothing proved here: the node keeps its parent's bound, set aside.
                stuck.append(parentUpper)
                return nil
            case .bounded(let upper, let point):
                try consider(point)
                // A node whose bound the best witness already reaches holds nothing better.
                let bound = Swift.min(upper, parentUpper)
                return bound > best.lower.approximateDouble ? Node(phases: phases, upper: bound, point: point) : nil
            }
        }

        /// Replays the witness near an LP point when its binary64 estimate beats the best.
        func consider(_ point: [Double]) throws {
            let (parameters, estimate) = encoding.witness(at: point, objective: objective)
            guard estimate > best.lower.approximateDouble else { return }
            // Membership in Θ_Δ holds by construction (|θ| ≤ 1); LocalRobustness checks
            // the witness it reports, since checking costs more than the replay.
            let logits = Network.exactLogits(layers: parameters, normalizedInput: input)
            statistics.replays += 1
            let value = zip(objective, logits).map { $0 * $1 }.sum()
            if best.lower < value {
                best.lower = value
                best.best = ReplayedWitness(parameters: parameters, neuronValues: nil, logits: logits)
            }
        }

        let startUpper = start.upper.roundedUp
        if let root = try evaluate([:], parentUpper: startUpper) { open.insert(root) }
        while let node = open.max {
            if closes(node.upper) { break }
            if let deadline, Date() >= deadline { reason = "timeout"; break }
            open.removeMax()
            let violations = encoding.violations(at: node.point)
            let candidates = violations.indices.filter { node.phases[$0] == nil }
            guard let split = candidates.max(by: { violations[$0] < violations[$1] }), violations[split] > 0 else {
                // The LP point satisfies h = relu(u) everywhere: its optimum is reached by a
                // network of Θ_Δ up to rounding, and evaluate() has replayed that witness.
                // Splitting cannot move the bound any more, so it stands.
                stuck.append(node.upper)
                if !closes(node.upper) {
                    reason = reason ?? "the LP optimum of a node without violated ReLUs was not reached within the tolerance"
                }
                continue
            }
            statistics.reluSplits += 1
            for phase in [PerturbationLP.Phase.active, .inactive] {
                var phases = node.phases
                phases[split] = phase
                if let child = try evaluate(phases, parentUpper: node.upper) { open.insert(child) }
            }
        }
        let largestOpen = ([open.max?.upper].compactMap { $0 } + stuck).max()
        let openUpper = largestOpen.map { Rational(exactly: $0) ?? start.upper } ?? best.lower
        best.upper = Rational.min(start.upper, Rational.max(openUpper, best.lower))
        best.reason = best.upper - best.lower <= tolerance ? nil : (reason ?? "the branch and bound stopped")
        return best
    }
}
