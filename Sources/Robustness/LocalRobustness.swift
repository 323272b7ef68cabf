import Bounds
import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries

/// Local robustness at one input (docs/semantics.md §1.3): the library call behind
/// `qrobust local`.
public enum LocalRobustness {
    /// Answers a local query.
    ///
    /// - Concrete compression: both networks are evaluated exactly at the
    ///   input; the deviation is exact (logit, flip) or a rigorous enclosure (σ, softmax).
    /// - Perturbation set: each objective the metric needs is maximised over
    ///   Θ_Δ (see ``Maximizer``); lower bounds come from replayed witnesses,
    ///   upper bounds from proofs.
    /// - Parameter progress: called after each objective is bounded, with the
    ///   number done, the number in all, and the seconds elapsed.
    /// - Parameter provisional: told the answer that stands if the query were
    ///   stopped now (back-substitution's bounds, then each objective Z3 closed),
    ///   so that a caller can still answer when Z3 runs on past the time limit in
    ///   a step it does not interrupt (see ``LocalResult``; the reason says "timeout").
    /// - Throws: ``QueryError`` for questions without meaning; Z3 errors.
    public static func check(_ query: LocalQuery,
                             progress: ((_ done: Int, _ total: Int, _ seconds: Double) -> Void)? = nil,
                             provisional: (@Sendable (LocalResult) -> Void)? = nil) throws -> LocalResult {
        try query.validate()
        let start = Date()
        let deadline = query.timeLimit.map { start.addingTimeInterval($0) }
        let network = query.network
        let x = network.normalizedInput(query.input)
        let evaluator = MetricEvaluator(metric: query.metric, output: network.output,
                                        original: network.exactLogits(at: query.input))
        var statistics = QueryStatistics()
        /// One compressed network: the deviation is its exact logits' (an enclosure for σ and softmax).
        func exactly(_ compressed: [Rational]) throws -> LocalResult {
            let witness = evaluator.witness(at: query.input, compressed: compressed)
            return try assemble(query, evaluator, candidates: [(witness, witness.deviation)], upper: witness.deviation.upper,
                                objectiveUppers: [], reasons: [], statistics: statistics, start: start)
        }

        switch query.compression {
        case .concrete(let g):
            return try exactly(g.exactLogits(at: query.input))
        case .quantized(let q):
            return try exactly(q.exactLogits(at: query.input))
        case .perturbation(let set):
            let radii = PerturbationRadii(network: network, set: set)
            // Back-substituted bounds fix more signs; the direct (nonlinear) encoding, a
            // cross-check for tiny networks, keeps the interval bounds it was validated with.
            let preActivations = query.encoding == .linear
                ? PerturbedBackSubstitution.preActivationBounds(network: network, radii: radii, input: x)
                : perturbedPreActivationBounds(network: network, radii: radii, input: x)
            // Converting every weight to an exact rational costs a gcd each: do it once.
            let layers = network.exactLayers
            let objectives = evaluator.objectives
            // Back-substitution first, for every objective: exact when every hidden sign
            // is fixed, else a proved upper bound and a replayed witness. Z3 closes what
            // is left, objective by objective; until then these bounds stand.
            let substitution = query.encoding == .linear
                ? BackSubstitution(layers: layers, radii: radii, input: x, bounds: preActivations) : nil
            var found: [ObjectiveBounds?] = try objectives.map { objective in
                try substitution?.bounds(objective, statistics: &statistics)
            }
            // The reported witness is checked to lie in Θ_Δ (once per witness: with 270,000
            // parameters the exact check costs more than finding it). Back-substitution and the
            // branch and bound build their witnesses inside Θ_Δ; a failure is an InternalError.
            var verified: [Int: Rational] = [:]
            func verify(_ n: Int) throws {
                guard let bounds = found[n], verified[n] != bounds.lower else { return }
                try set.requireMember(bounds.best.parameters, around: network)
                verified[n] = bounds.lower
            }
            /// The metric's value at each witness's logits, computed once per witness: σ and
            /// softmax enclosures sum exact Taylor series, and the search asks often.
            var witnessValues: [[Rational]: Enclosure] = [:]
            func value(at logits: [Rational]) -> Enclosure {
                if let known = witnessValues[logits] { return known }
                let value = evaluator.value(logits)
                witnessValues[logits] = value
                return value
            }
            /// The metric's upper bound from the objectives' upper ends, for the last ends asked.
            var lastUpperBound: (uppers: [Rational], bound: Rational)?
            func upperBound(_ uppers: [Rational]) -> Rational {
                if let last = lastUpperBound, last.uppers == uppers { return last.bound }
                let bound = evaluator.upperBound(fromObjectiveUppers: uppers)
                lastUpperBound = (uppers, bound)
                return bound
            }
            /// The largest metric value a witness found so far reaches.
            func bestLower() -> Rational {
                found.compactMap { $0.map { value(at: $0.best.logits).lower } }.max() ?? .zero
            }
            /// The objective value at or below which objective n cannot widen the answer
            /// beyond the tolerance of `best` (the best witness's value), or move it past τ
            /// (logit metric only).
            func enough(_ n: Int, best: Rational) -> Rational? {
                guard let offset = evaluator.deviationOffset(ofObjective: n) else { return nil }
                return Rational.max(best + query.tolerance, query.tau ?? .zero) + offset
            }
            /// Whether objective n needs no more search: exact, within the tolerance, or below `enough`.
            func settled(_ n: Int, best: Rational) -> Bool {
                guard let bounds = found[n] else { return false }
                return substitution?.isExact == true || bounds.upper - bounds.lower <= query.tolerance
                    || enough(n, best: best).map { bounds.upper <= $0 } == true
            }
            /// Whether a witness already decides the query: past τ, or a flip.
            func decidedByWitness() -> Bool {
                guard found.allSatisfy({ $0 != nil }) else { return false }
                if query.metric == .flip { return found.contains { evaluator.flips($0!.best.logits) } }
                return query.tau.map { $0 < bestLower() } == true
            }
            func result(reasons: [String], statistics: QueryStatistics) throws -> LocalResult? {
                guard found.allSatisfy({ $0 != nil }) else { return nil }
                let bounds = found.map { $0! }
                let candidates = bounds.map { b in
                    let witness = evaluator.witness(at: query.input, compressed: b.best.logits,
                                                    neuronValues: b.best.neuronValues, parameters: b.best.parameters,
                                                    deviation: value(at: b.best.logits))
                    return (witness, witness.deviation)
                }
                let uppers = bounds.map(\.upper)
                let best = bestLower()
                return try assemble(query, evaluator, candidates: candidates,
                                    upper: upperBound(uppers), objectiveUppers: uppers,
                                    reasons: reasons + bounds.indices.filter { !settled($0, best: best) }.compactMap { bounds[$0].reason },
                                    statistics: statistics, start: start,
                                    verify: verify)
            }
            // With τ, stop as soon as back-substitution decides (a witness above τ, or every bound below it).
            if query.tau != nil || query.metric == .flip, let decided = try result(reasons: [], statistics: statistics),
               let verdict = decided.verdict, verdict != .unknown {
                return decided
            }
            if let provisional, let interim = try result(reasons: ["timeout"], statistics: statistics) { provisional(interim) }
            var maximizer: Maximizer?
            // The ReLU branch and bound with certified LPs, built once for all objectives on
            // back-substitution's ReLU bounds. (Tightening them first by an LP per unstable ReLU
            // cost more than it saved once the branching weighed the chords' duals: ACAS Xu at
            // 8 bits 0.92 s with it, 0.59 s without; mnist_relu_3_100 at 8 bits 3.1–6.4 s
            // against 2.3–4.7 s.)
            var relaxation: PerturbationLP?
            var relaxationTried = false
            func buildRelaxation() {
                guard !relaxationTried else { return }
                relaxationTried = true
                relaxation = try? PerturbationLP(layers: layers, radii: radii, input: x, bounds: preActivations)
            }
            /// Where each objective's search stopped, to resume it in the next pass.
            var frontiers: [ReluBranchAndBound<PerturbationLP, ReplayedWitness>.Frontier?] = objectives.map { _ in nil }
            func branchAndBound(_ n: Int, from substituted: ObjectiveBounds, until end: Date?) throws -> ObjectiveBounds? {
                guard let relaxation, (try? relaxation.setObjective(objectives[n])) == true else { return nil }
                var search = ReluBranchAndBound(encoding: relaxation, objective: objectives[n], input: x, tolerance: query.tolerance)
                search.enough = enough(n, best: bestLower())
                return try search.run(from: substituted, deadline: end, frontier: &frontiers[n], statistics: &statistics)
            }
            // The objectives whose witnesses reach highest first: most likely to hold the
            // maximum, they raise `bestLower()`, which lets the others stop at `enough`.
            // Each gets a fair share of the time left; the branch and bound of those that
            // used up their share resumes where it stopped, in the time left over (most
            // objectives close at once, below `enough`).
            var pending = objectives.indices.sorted { a, b in
                guard let fa = found[a], let fb = found[b] else { return a < b }
                let offsetA = evaluator.deviationOffset(ofObjective: a) ?? .zero
                let offsetB = evaluator.deviationOffset(ofObjective: b) ?? .zero
                return fa.lower - offsetA > fb.lower - offsetB
            }
            var firstPass = true
            while !pending.isEmpty, !decidedByWitness() {
                var outOfShare: [Int] = []
                for (done, n) in pending.enumerated() {
                    if decidedByWitness() { break }
                    let isSettled = settled(n, best: bestLower())
                    if substitution != nil, !isSettled { buildRelaxation() }
                    // A fair share of the time left among the objectives not yet done in this pass.
                    let share = deadline.map { Date().addingTimeInterval($0.timeIntervalSinceNow / Double(pending.count - done)) }
                    if let substituted = found[n], !isSettled, deadline.map({ Date() < $0 }) ?? true,
                       let searched = try branchAndBound(n, from: substituted, until: share) {
                        found[n] = searched
                        if let provisional, let interim = try result(reasons: ["timeout"], statistics: statistics) { provisional(interim) }
                        if searched.reason == "timeout" {
                            // Out of its share: Z3 would take the other objectives' time, and on
                            // networks this large it does no better than the LPs.
                            outOfShare.append(n)
                            continue
                        }
                    }
                    if settled(n, best: bestLower()) {
                        // Decided without a solver.
                    } else if var substituted = found[n], let deadline, Date() >= deadline {
                        // Out of time: the proved bounds stand, without building or running Z3.
                        substituted.reason = "timeout"
                        found[n] = substituted
                    } else {
                        if maximizer == nil {
                            maximizer = try Maximizer(
                                network: network, set: set, radii: radii, bounds: preActivations, originalLayers: layers,
                                normalizedInput: x, encodingKind: query.encoding, tolerance: query.tolerance, deadline: deadline)
                        }
                        found[n] = try maximizer!.maximize(objectives[n], start: found[n], deadline: share)
                        if let provisional, let interim = try result(reasons: ["timeout"], statistics: statistics) { provisional(interim) }
                    }
                    if firstPass { progress?(done + 1, objectives.count, Date().timeIntervalSince(start)) }
                }
                firstPass = false
                let best = bestLower()
                pending = deadline.map { Date() < $0 } == true ? outOfShare.filter { !settled($0, best: best) } : []
            }
            if let maximizer { statistics.add(maximizer.statistics) }
            return try result(reasons: [], statistics: statistics)!
        }
    }

    /// The answer from the objectives' bounds: the reported witness, the
    /// certified interval, the verdict and the reasons.
    /// - Parameter verify: checks the chosen candidate (by index) before it is reported.
    private static func assemble(_ query: LocalQuery, _ evaluator: MetricEvaluator,
                                 candidates: [(witness: Witness, value: Enclosure)], upper: Rational,
                                 objectiveUppers: [Rational], reasons: [String], statistics: QueryStatistics,
                                 start: Date, verify: (Int) throws -> Void = { _ in }) throws -> LocalResult {
        var reasons = reasons
        var upper = upper
        // The reported witness: one that flips for `flip`, else the largest proved deviation.
        let index = candidates.indices.max { i, j in
            let a = candidates[i], b = candidates[j]
            if query.metric == .flip {
                let fa = evaluator.flips(a.witness.compressedLogits), fb = evaluator.flips(b.witness.compressedLogits)
                if fa != fb { return !fa }
            }
            return a.value.lower < b.value.lower
        }!
        try verify(index)
        let chosen = candidates[index]
        var lower = chosen.value.lower
        if query.metric != .flip { lower = Rational.max(lower, .zero) }
        upper = Rational.max(upper, lower)

        var verdict: Verdict?
        switch query.metric {
        case .flip:
            if evaluator.flips(chosen.witness.compressedLogits) {
                verdict = .notRobust
            } else if query.compression.isOneNetwork {
                verdict = .robust
            } else {
                verdict = evaluator.provesNoFlip(objectiveUppers: objectiveUppers) ? .robust : .unknown
            }
        case .logit, .probability:
            if let tau = query.tau {
                verdict = !(tau < upper) ? .robust : (tau < lower ? .notRobust : .unknown)
            }
        }
        if verdict == .unknown && reasons.isEmpty {
            reasons.append("the certified interval [\(lower.roundedDown), \(upper.roundedUp)] contains the threshold; a smaller tolerance or a longer time limit may decide it")
        }
        if verdict == nil && query.tolerance < upper - lower && reasons.isEmpty {
            reasons.append("the interval is wider than the tolerance")
        }
        let isTrivial = lower.isZero && query.metric != .flip
        return LocalResult(
            verdict: verdict,
            deviation: DeviationBounds(lower: lower, upper: upper),
            witness: isTrivial ? nil : chosen.witness,
            reason: reasons.isEmpty ? nil : Array(Set(reasons)).sorted().joined(separator: "; "),
            seconds: Date().timeIntervalSince(start),
            statistics: statistics,
            originalClass: evaluator.originalClass)
    }
}
