import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Robustness
import SDPBounds

/// The three answers to one SDP question, which must come in the order
/// docs/semantics.md §3 demands: `sampled ≤ SMT exact ≤ SDP bound`.
///
/// The quantity compared is the largest squared difference of one output,
/// `max_i max_x (f₂(x₂) − f₁(x₁))_i²`: the SMT search (``GlobalRobustness``,
/// logit metric) measures `max_i |d_i|`, and the SDP's bound on it is its
/// per-output bound (the norm bound with one output).
public struct CrossCheckResult: Sendable {
    /// The largest sampled value, replayed in exact arithmetic and rounded down.
    public var sampled: Double
    /// Where, in ``ShiftedPair``'s input space: the raw input, or with input
    /// quantisation the normalised input x̂₁ followed by the shift t (x̂₂ = x̂₁ + t).
    public var sampledPoint: [Double]
    /// The SMT search's certified interval, squared.
    public var smtLower: Double
    public var smtUpper: Double
    /// Why the SMT interval is wider than asked (a time limit), if it is.
    public var smtReason: String?
    /// The SDP's certified bound on the same quantity.
    public var sdp: Double
    public var sdpResult: SDPResult
    /// `sampled ≤ smtUpper` and `smtLower ≤ sdp`: false would mean a bug in one of them.
    public var isConsistent: Bool { sampled <= smtUpper && smtLower <= sdp }
    public var seconds: Double
}

public enum CrossCheck {
    /// Answers the question three ways.
    /// - Parameters:
    ///   - samples: random points (besides a grid in 1-D and 2-D and the box's vertices).
    ///   - timeLimit: for the SMT search; nil for none.
    public static func run(_ query: SDPQuery, samples: Int = 20_000, timeLimit: Double? = nil, jobs: Int = 2,
                           progress: (@Sendable (String) -> Void)? = nil) async throws -> CrossCheckResult {
        let start = Date()
        let sdp = try SDPErrorBound.compute(query, progress: progress)
        let sdpBound = sdp.perOutput.isEmpty ? sdp.squaredNorm.certified : sdp.perOutput.map(\.certified).max()!

        progress?("sampling \(samples) points")
        let pair = ShiftedPair(query)
        let sample = Sampler(pair: pair, count: samples).largestSquaredDifference()

        progress?("SMT search for the exact maximum")
        let global = GlobalQuery(network: pair.original, compression: try .concrete(pair.compressed, comparedWith: pair.original),
                                 region: pair.region, metric: .logit, tolerance: Rational(1, 1_000_000),
                                 timeLimit: timeLimit, jobs: jobs)
        let smt = try await GlobalRobustness.check(global)
        return CrossCheckResult(
            sampled: sample.value, sampledPoint: sample.point,
            smtLower: (smt.deviation.lower * smt.deviation.lower).roundedDown,
            smtUpper: (smt.deviation.upper * smt.deviation.upper).roundedUp,
            smtReason: smt.reason, sdp: sdpBound, sdpResult: sdp, seconds: Date().timeIntervalSince(start))
    }
}
