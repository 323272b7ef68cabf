import Bounds
import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork

/// Local robustness at one input (design.md §1.3): the library call behind
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
    /// - Throws: ``QueryError`` for questions without meaning; Z3 errors.
    public static func check(_ query: LocalQuery,
                             progress: ((_ done: Int, _ total: Int, _ seconds: Double) -> Void)? = nil) throws -> LocalResult {
        try query.validate()
        let start = Date()
        let deadline = query.timeLimit.map { start.addingTimeInterval($0) }
        let network = query.network
        let x = network.normalizedInput(query.input)
        let evaluator = MetricEvaluator(metric: query.metric, output: network.output,
                                        original: network.exactLogits(at: query.input))
        var statistics = QueryStatistics()
        var candidates: [(witness: Witness, value: Enclosure)] = []
        var upper: Rational
        var reasons: [String] = []
        var objectiveUppers: [Rational] = []

        switch query.compression {
        case .concrete(let compressed):
            let z = compressed.exactLogits(at: query.input)
            let value = evaluator.value(z)
            candidates.append((Witness(input: query.input, originalLogits: evaluator.original, compressedLogits: z,
                                       deviation: value), value))
            upper = value.upper
        case .perturbation(let set):
            let radii = PerturbationRadii(network: network, set: set)
            let preActivations = perturbedPreActivationBounds(network: network, radii: radii, input: x)
            // Converting every weight to an exact rational costs a gcd each: do it once.
            let layers = network.exactLayers
            let objectives = evaluator.objectives
            // Back-substitution first: exact when every hidden sign is fixed, else a
            // proved upper bound and a replayed witness; Z3 closes what is left.
            let substitution = query.encoding == .linear
                ? BackSubstitution(layers: layers, radii: radii, input: x, bounds: preActivations) : nil
            var maximizer: Maximizer?
            for (n, objective) in objectives.enumerated() {
                var substituted: ObjectiveBounds?
                if let substitution {
                    substituted = try substitution.bounds(objective, set: set, network: network, statistics: &statistics)
                }
                let bounds: ObjectiveBounds
                if let substituted, substitution!.isExact || substituted.upper - substituted.lower <= query.tolerance {
                    bounds = substituted
                } else if var substituted, let deadline, Date() >= deadline {
                    // Out of time: the proved bounds stand, without building or running Z3.
                    substituted.reason = "timeout"
                    bounds = substituted
                } else {
                    if maximizer == nil {
                        maximizer = try Maximizer(
                            network: network, set: set, radii: radii, bounds: preActivations, originalLayers: layers,
                            normalizedInput: x, encodingKind: query.encoding, tolerance: query.tolerance, deadline: deadline)
                    }
                    bounds = try maximizer!.maximize(objective, start: substituted)
                }
                progress?(n + 1, objectives.count, Date().timeIntervalSince(start))
                objectiveUppers.append(bounds.upper)
                if let reason = bounds.reason { reasons.append(reason) }
                let value = evaluator.value(bounds.best.logits)
                candidates.append((Witness(input: query.input, originalLogits: evaluator.original,
                                           compressedLogits: bounds.best.logits, deviation: value,
                                           neuronValues: bounds.best.neuronValues, parameters: bounds.best.parameters), value))
            }
            if let maximizer {
                let own = statistics
                statistics = maximizer.statistics
                statistics.replays += own.replays
                statistics.backSubstitutions = own.backSubstitutions
            }
            upper = evaluator.upperBound(fromObjectiveUppers: objectiveUppers)
        }

        // The reported witness: one that flips for `flip`, else the largest proved deviation.
        let chosen = candidates.max { a, b in
            if query.metric == .flip {
                let fa = evaluator.flips(a.witness.compressedLogits), fb = evaluator.flips(b.witness.compressedLogits)
                if fa != fb { return !fa }
            }
            return a.value.lower < b.value.lower
        }!
        var lower = chosen.value.lower
        if query.metric != .flip { lower = Rational.max(lower, .zero) }
        upper = Rational.max(upper, lower)

        var verdict: Verdict?
        switch query.metric {
        case .flip:
            if evaluator.flips(chosen.witness.compressedLogits) {
                verdict = .notRobust
            } else if case .concrete = query.compression {
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
