import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork

/// The largest magnitude a query's values may reach, checked before any bound
/// is computed.
///
/// The bound propagation, the SDP and the LP encodings work in binary64.
/// A value beyond about 1e154 has a square beyond binary64's range, and then
/// a bound becomes ∞ or NaN, which no comparison treats soundly (`NaN > 0` is
/// false). Rather than hunt for every place where that can happen, a query is
/// refused up front, with one error naming where its values get too large,
/// when a crude bound on them exceeds ``largest``: the magnitude chain
/// `m₀ = max|x|` over the box, `m_l = Σ_j (|W_kj| + Δ_kj)·m_{l−1,j} + |b_k| + Δ_k`
/// (rounded upward), which bounds every value either network or any member
/// of a perturbation set can take. Real networks stay many orders of
/// magnitude below it.
public enum MagnitudeLimit {
    /// The largest magnitude accepted: squares and sums of a few thousand
    /// products of such values stay finite in binary64.
    public static let largest = 1e100

    /// Checks every value `network` can take over `box` (normalised inputs),
    /// for every parameter vector within `radius` of its own (nil: the network itself).
    /// - Parameter name: how the error names the network (`the network`, `the compressed network`).
    /// - Throws: ``QueryError`` naming the input or the layer and neuron whose
    ///   magnitude bound exceeds ``largest``.
    public static func check(_ network: Network, over box: [(lower: Rational, upper: Rational)],
                             radius: PerturbationSet? = nil, name: String = "the network") throws {
        var magnitudes: [Double] = []
        for (i, side) in box.enumerated() {
            let m = Rational.max(side.lower.magnitude, side.upper.magnitude).roundedUp
            guard m <= largest else {
                throw QueryError("input \(i + 1) reaches \(format(m)) after normalisation; qrobust computes its bounds in binary64 and accepts magnitudes up to \(format(largest))")
            }
            magnitudes.append(m)
        }
        for (l, layer) in network.layers.enumerated() {
            var next: [Double] = []
            next.reserveCapacity(layer.outputSize)
            for k in 0..<layer.outputSize {
                let bias = layer.biases[k]
                var m = (abs(bias) + (radius?.radiusUpperBound(of: bias) ?? 0)).nextUp
                for (w, h) in zip(layer.weights[k], magnitudes) {
                    let coefficient = (abs(w) + (radius?.radiusUpperBound(of: w) ?? 0)).nextUp
                    m = (m + (coefficient * h).nextUp).nextUp
                }
                guard m <= largest else {
                    throw QueryError("the values of \(name) can reach \(format(m)) at layer \(l + 1), neuron \(k + 1), over this input region (a bound without cancellation); qrobust computes its bounds in binary64 and accepts magnitudes up to \(format(largest)): scale the weights or the inputs")
                }
                next.append(m)
            }
            magnitudes = next
        }
    }

    private static func format(_ value: Double) -> String {
        value.isFinite ? String(format: "%.3g", value) : "more than 1.8e308"
    }
}
