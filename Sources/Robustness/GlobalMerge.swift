import Bounds
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries

/// One shard's answer to a global query (``GlobalQuery/shard``), as a merge
/// reads it back from the shard's results file.
public struct GlobalShardAnswer: Sendable {
    public var shard: Shard
    public var verdict: Verdict?
    /// The shard's proved upper end over its parts.
    public var upper: Rational
    /// The shard's witness, if it reported one: the raw input and, for a
    /// perturbation set, the parameters (activations as in the network).
    public var witnessInput: [Rational]?
    public var witnessParameters: [ExactLayer]?
    public var reason: String?
    public var seconds: Double
    public var statistics: GlobalStatistics
    /// The parts it searched.
    public var parts: ShardParts

    public init(shard: Shard, verdict: Verdict?, upper: Rational, witnessInput: [Rational]?, witnessParameters: [ExactLayer]?,
                reason: String?, seconds: Double, statistics: GlobalStatistics, parts: ShardParts) {
        self.shard = shard
        self.verdict = verdict
        self.upper = upper
        self.witnessInput = witnessInput
        self.witnessParameters = witnessParameters
        self.reason = reason
        self.seconds = seconds
        self.statistics = statistics
        self.parts = parts
    }
}

extension GlobalRobustness {
    /// Joins the answers of a query's shards into one certified answer for the whole box.
    ///
    /// The merge cuts the box again (``ShardPartition``, the same binary64
    /// steps as each shard) and checks that every answer searched exactly the
    /// parts this cut gives its shard. Then:
    /// - the upper end is the largest of the shards' upper ends. A missing
    ///   shard's parts count with the bounds the cut gave them, and the answer
    ///   is `unknown`, with the missing shards named in the reason;
    /// - the lower end is the best of the shards' witnesses and the cut's own
    ///   candidate, each replayed here again in exact arithmetic (and checked
    ///   against Θ_Δ for a perturbation set);
    /// - with τ, the verdict follows from the two ends; for the flip metric,
    ///   `robust` needs every shard present and `robust`.
    /// - Parameters:
    ///   - query: the question the shards answered, without its shard.
    ///   - count: the number of shards it was split into.
    /// - Throws: ``QueryError`` when an answer belongs to another cut (another
    ///   shard count, other parts: another build or other options) or appears twice;
    ///   ``CompressionError`` when a witness's parameters leave Θ_Δ.
    public static func merge(_ query: GlobalQuery, shards count: Int, answers: [GlobalShardAnswer]) throws -> GlobalResult {
        var query = query
        query.shard = try Shard(index: 0, count: count)
        try query.validate()
        query.shard = nil
        let start = Date()
        let setup = SearchSetup(query)
        var cutStatistics = GlobalStatistics()
        let (root, rootCandidate, _) = setup.bounder.bound(setup.box, depth: 0, statistics: &cutStatistics)
        let partition = ShardPartition(root: root, candidate: rootCandidate, bounder: setup.bounder, shards: count,
                                       threshold: closingThreshold(query), tolerance: query.tolerance.approximateDouble * (1 - 1e-6),
                                       statistics: &cutStatistics)
        var byIndex: [Int: GlobalShardAnswer] = [:]
        for answer in answers {
            guard answer.shard.count == count else {
                throw QueryError("shard \(answer.shard) belongs to a split into \(answer.shard.count) shards, not \(count)")
            }
            guard byIndex[answer.shard.index] == nil else { throw QueryError("shard \(answer.shard) is given twice") }
            let expected = partition.parts(of: answer.shard)
            guard answer.parts == expected else {
                throw QueryError("shard \(answer.shard) searched parts \(answer.parts.owned) of \(answer.parts.total) (digest \(answer.parts.digest)), but this cut of the box gives it parts \(expected.owned) of \(expected.total) (digest \(expected.digest)): it ran with another build of qrobust or another question")
            }
            byIndex[answer.shard.index] = answer
        }
        let missing = (0..<count).filter { byIndex[$0] == nil }

        // The lower end: every witness replayed again, and the cut's own candidate.
        let evaluator = setup.bounder.evaluator
        var best = try replay(partition.best, query: query, evaluator: evaluator, exact: setup.exact, exactBox: setup.exactBox)
        for answer in byIndex.values.sorted(by: { $0.shard.index < $1.shard.index }) {
            guard let raw = answer.witnessInput else { continue }
            guard raw.count == query.network.inputSize else {
                throw QueryError("shard \(answer.shard)'s witness has \(raw.count) inputs; the network has \(query.network.inputSize)")
            }
            let point = query.network.normalization?.normalize(raw) ?? raw
            guard zip(point, setup.exactBox).allSatisfy({ x, b in !(x < b.lower) && !(b.upper < x) }) else {
                throw QueryError("shard \(answer.shard)'s witness lies outside the box")
            }
            let candidate = Candidate(value: 0, point: point.map(\.approximateDouble),
                                      origin: .solved(point: point, parameters: answer.witnessParameters))
            let replayed = try replay(candidate, query: query, evaluator: evaluator, exact: setup.exact, exactBox: setup.exactBox)
            if best.witness.deviation.lower < replayed.witness.deviation.lower { best = replayed }
        }
        let isFlip = query.metric == .flip
        let lower = isFlip ? best.witness.deviation.lower : Rational.max(best.witness.deviation.lower, .zero)

        // The upper end: the shards' proofs, and the cut's bounds where a shard is missing.
        var upper = lower, overflowed = false
        for index in 0..<count {
            if let answer = byIndex[index] {
                upper = Rational.max(upper, answer.upper)
            } else {
                let bound = partition.upper(of: index)
                if bound == .infinity { overflowed = true }
                if bound.isFinite { upper = Rational.max(upper, Rational(exactly: bound)!) }
            }
        }
        if overflowed { upper = Rational.max(upper, Rational(exactly: Double.greatestFiniteMagnitude)!) }

        var reasons: [String] = [], missingReason: String?
        if !missing.isEmpty {
            missingReason = ("\(missing.count == 1 ? "shard" : "shards") \(missing.map { "\($0)/\(count)" }.joined(separator: ", ")) \(missing.count == 1 ? "is" : "are") missing; \(missing.count == 1 ? "its" : "their") parts count only with the bounds of the cut")
        }
        for answer in byIndex.values.sorted(by: { $0.shard.index < $1.shard.index }) {
            if let reason = answer.reason { reasons.append("shard \(answer.shard): \(reason)") }
        }
        let flips = isFlip && best.flips
        var verdict: Verdict?
        if isFlip {
            let allRobust = missing.isEmpty && byIndex.values.allSatisfy { $0.verdict == .robust }
            verdict = flips ? .notRobust : (allRobust || (missing.isEmpty && upper.isNegative) ? .robust : .unknown)
        } else if let tau = query.tau {
            verdict = tau < lower ? .notRobust : (missing.isEmpty && !(tau < upper) ? .robust : .unknown)
        }
        if verdict == .robust || verdict == .notRobust {
            // A decided answer does not need the shards' notes on where they stopped.
            reasons.removeAll()
        }
        // A missing shard is always named (a witness above τ still decides the answer without it).
        if let missingReason { reasons.insert(missingReason, at: 0) }
        if verdict == .unknown && reasons.isEmpty {
            reasons.append(isFlip ? "the flip margin's upper end is not below 0 and no input found changes class"
                                  : "the certified interval contains τ")
        }
        if query.tau == nil && !isFlip && query.tolerance < upper - lower && reasons.isEmpty {
            reasons.append("the interval is wider than the tolerance")
        }
        var statistics = cutStatistics
        for answer in byIndex.values { statistics.add(answer.statistics) }
        let keepsWitness = isFlip ? flips : !lower.isZero
        return GlobalResult(verdict: verdict, deviation: DeviationBounds(lower: lower, upper: upper),
                            witness: keepsWitness ? best.witness : nil,
                            reason: reasons.isEmpty ? nil : reasons.joined(separator: "; "),
                            seconds: (byIndex.values.map(\.seconds).max() ?? 0) + Date().timeIntervalSince(start),
                            statistics: statistics)
    }
}
