import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Robustness
import SDPBounds

/// The maximal deviation of two networks over a box from the SDP bound, for
/// networks too large for the exact search: CSDP bounds every squared logit
/// difference, which bounds the logit metric by its square root and σ's
/// probability metric by a quarter of that (σ is 1/4-Lipschitz), and by 1; the lower end
/// is the best of sampled inputs, replayed exactly.
public struct SDPDeviation: Sendable {
    public var result: SDPResult
    public var metric: Metric
    /// A true lower bound: the metric at `lowerInput`, replayed exactly (rounded down).
    public var lower: Double
    public var lowerInput: [Rational]
    /// A certified upper bound (rounded up).
    public var upper: Double
    /// With τ: robust when `upper ≤ τ`, not robust when `lower > τ`, else unknown; nil without τ.
    public var verdict: Verdict?

    /// Sampled inputs behind the lower end (half uniform, half vertices; seed 0).
    public static let samples = 1000

    /// Bounds the deviation of `compressed` from `original` over `region`.
    /// - Parameter memoryLimit: bytes one box's SDP may take (``SDPQuery/memoryLimit``).
    /// - Throws: ``QueryError`` for a metric the bound cannot serve (flip; probability
    ///   without one sigmoid output) and for questions the SDP bound rejects.
    public static func compute(original: Network, compressed: Network, region: InputRegion, metric: Metric,
                               tau: Rational?, timeLimit: Double?, memoryLimit: Double? = nil,
                               progress: (@Sendable (String) -> Void)? = nil) throws -> SDPDeviation {
        switch metric {
        case .flip: throw QueryError("the SDP bound bounds logit differences; the flip metric needs the exact search (leave out --bound sdp)")
        case .probability where original.output != .sigmoid:
            throw QueryError("with the SDP bound the probability metric needs one sigmoid output (σ is 1/4-Lipschitz); use --metric logit")
        default: break
        }
        let query = SDPQuery(original: original, compressed: compressed, region: region, timeLimit: timeLimit,
                             memoryLimit: memoryLimit)
        let result = try SDPErrorBound.compute(query, progress: progress)
        let squared = min(result.squaredNorm.certified, result.perOutput.map(\.certified).max() ?? .infinity)
        let logit = squared.squareRoot().nextUp
        // A probability moves by at most 1.
        let upper = metric == .logit ? logit : min(1, (logit / 4).nextUp)
        let sampled = SampledDeviation.largest(metric, original: original, compressed: compressed, region: region,
                                               count: samples, seed: 0)
        var verdict: Verdict?
        if let tau {
            if let bound = Rational(exactly: upper), bound <= tau { verdict = .robust }
            else if let witness = Rational(exactly: sampled.value), witness > tau { verdict = .notRobust }
            else { verdict = .unknown }
        }
        return SDPDeviation(result: result, metric: metric, lower: sampled.value, lowerInput: sampled.input, upper: upper, verdict: verdict)
    }
}
