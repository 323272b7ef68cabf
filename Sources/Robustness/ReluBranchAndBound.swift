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
/// bound is split on the ReLU whose chord buys most of its bound
/// (``PhaseSplitLP/branchingScores(at:)``).
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
        /// Where the search stopped, if anything was left open.
        var frontier: Frontier?
    }

    /// At most this many splits per run, if set (a search in deterministic steps;
    /// the reason then says so, and the frontier resumes it).
    var splitLimit: Int?

    /// The open nodes and set-aside bounds of a search that stopped, to resume it
    /// later with the same objective (``run(lower:witness:upper:deadline:resuming:)``).
    struct Frontier {
        fileprivate var nodes: [Node]
        fileprivate var stuck: [Double]
    }

    /// What solving a child's LP gave.
    fileprivate enum Child {
        case node(Node)
        /// Proved empty, or unable to beat the best witness.
        case empty
        /// Nothing proved: the bound stays, set aside (with the reason).
        case stuck(Double, String)

        var upper: Double {
            switch self {
            case .node(let node): node.upper
            case .empty: -.infinity
            case .stuck(let upper, _): upper
            }
        }
    }

    fileprivate struct Node: Comparable {
        var phases: [Int: ReluPhase]
        var upper: Double
        /// The branching rule's score per unstable neuron at the node's LP point
        /// (``PhaseSplitLP/branchingScores(at:)``); empty when its LP proved nothing.
        var scores: [Double] = []
        /// The LP's basis at this node's optimum: its children start from it.
        var basis: CertifiedLP.Basis?
        static func < (a: Node, b: Node) -> Bool { a.upper < b.upper }
        static func == (a: Node, b: Node) -> Bool { a.upper == b.upper }
    }

    /// Narrows `[lower, upper]`, where `lower` is reached by `witness` (if any) and `upper` is proved.
    /// - Parameter frontier: where an earlier search of the same objective stopped;
    ///   it continues from there instead of from the root.
    func run(lower: Rational, witness: Witness?, upper start: Rational, deadline: Date?,
             resuming frontier: Frontier? = nil) throws -> Outcome {
        var best = Outcome(lower: lower, witness: witness, upper: start)
        var open = Heap<Node>(frontier?.nodes ?? [])
        /// Bounds of nodes on which nothing more can be proved (an LP that answered
        /// nothing, or a node without violated ReLUs whose optimum was not reached):
        /// set aside, but counted in the upper end.
        var stuck: [Double] = frontier?.stuck ?? []
        var reason: String?
        /// Whether a bound needs no more work.
        func closes(_ upper: Double) -> Bool {
            guard let bound = Rational(exactly: upper) else { return false }
            return bound - best.lower <= tolerance || enough.map { bound <= $0 } == true
        }

        /// Solves the LP under `phases` (from `basis`, if any).
        func evaluate(_ phases: [Int: ReluPhase], parentUpper: Double, from basis: CertifiedLP.Basis?) throws -> Child {
            if let basis { encoding.solver.restore(basis) }
            try encoding.apply(phases)
            best.lpNodes += 1
            switch encoding.solver.maximize(timeLimit: deadline.map { Swift.max(0.001, $0.timeIntervalSinceNow) }) {
            case .infeasible:
                return .empty
            case .unknown(let why):
                // An LP stopped by the deadline is a timeout like any other: the node
                // keeps its parent's bound, set aside.
                if deadline.map({ Date() >= $0 }) == true { return .stuck(parentUpper, "timeout") }
                // Otherwise (an infeasibility GLPK claims but that cannot be proved, …) the
                // node keeps its parent's bound and is split blindly: its children's LPs differ.
                guard phases.count < encoding.unstable.count else { return .stuck(parentUpper, why) }
                return .node(Node(phases: phases, upper: parentUpper))
            case .bounded(let upper, let point):
                if let found = try replay(point, best.lower) {
                    best.replays += 1
                    if best.lower < found.value { (best.lower, best.witness) = (found.value, found.witness) }
                }
                // A node whose bound the best witness already reaches holds nothing better.
                let bound = Swift.min(upper, parentUpper)
                guard bound > best.lower.approximateDouble else { return .empty }
                let scores = encoding.branchingScores(at: point)
                return .node(Node(phases: phases, upper: bound, scores: scores, basis: encoding.solver.basis))
            }
        }
        /// Keeps a child: open, or set aside with its bound.
        func keep(_ child: Child) {
            switch child {
            case .node(let node): open.insert(node)
            case .empty: break
            case .stuck(let upper, let why):
                stuck.append(upper)
                reason = why
            }
        }

        var resumable = true
        if frontier == nil {
            let root = try evaluate([:], parentUpper: start.roundedUp, from: nil)
            if case .stuck = root { resumable = false }
            keep(root)
        }
        while let node = open.max {
            if closes(node.upper) { break }
            if let deadline, Date() >= deadline { reason = "timeout"; break }
            if let splitLimit, best.reluSplits >= splitLimit { reason = "the split limit was reached"; break }
            open.removeMax()
            // A node without an LP point (its LP proved nothing) is split on its first free ReLU.
            let scores = node.scores.isEmpty
                ? encoding.unstable.indices.map { node.phases[$0] == nil ? 1.0 : 0 } : node.scores
            let candidates = scores.indices.filter { node.phases[$0] == nil }
            guard let split = candidates.max(by: { scores[$0] < scores[$1] }), scores[split] > 0 else {
                // The LP point satisfies h = relu(u) everywhere: its optimum is reached
                // up to rounding, and evaluate() has replayed that witness. Splitting
                // cannot move the bound any more, so it stands.
                stuck.append(node.upper)
                if !closes(node.upper) {
                    reason = reason ?? "the LP optimum of a node without violated ReLUs was not reached within the tolerance"
                }
                continue
            }
            let children = try [ReluPhase.active, .inactive].map { phase in
                var phases = node.phases
                phases[split] = phase
                return try evaluate(phases, parentUpper: node.upper, from: node.basis)
            }
            if children.contains(where: { if case .stuck(_, "timeout") = $0 { true } else { false } }) {
                // Cut off by the deadline: the node stays open as it was, for a later resumption.
                open.insert(node)
                reason = "timeout"
                break
            }
            best.reluSplits += 1
            children.forEach(keep)
        }
        best.frontier = !resumable || (open.isEmpty && stuck.isEmpty) ? nil : Frontier(nodes: Array(open.unordered), stuck: stuck)
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
            let (member, estimate) = encoding.witness(at: point, objective: objective)
            guard estimate > best.approximateDouble else { return nil }
            let parameters = member()
            let logits = Network.exactLogits(layers: parameters, normalizedInput: x)
            let value = zip(objective, logits).map { $0 * $1 }.sum()
            return (value, ReplayedWitness(parameters: parameters, neuronValues: nil, logits: logits))
        }
    }

    /// Narrows `start` (back-substitution's bounds and witness, or an earlier
    /// search's), continuing from `frontier` where that search stopped; leaves
    /// in it where this one stops.
    func run(from start: ObjectiveBounds, deadline: Date?, frontier: inout Frontier?,
             statistics: inout QueryStatistics) throws -> ObjectiveBounds {
        let outcome = try run(lower: start.lower, witness: start.best, upper: start.upper, deadline: deadline, resuming: frontier)
        frontier = outcome.frontier
        statistics.lpNodes += outcome.lpNodes
        statistics.reluSplits += outcome.reluSplits
        statistics.replays += outcome.replays
        return ObjectiveBounds(lower: outcome.lower, upper: outcome.upper, best: outcome.witness ?? start.best,
                               reason: outcome.reason)
    }
}
