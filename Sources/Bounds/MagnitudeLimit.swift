import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries

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
        let chain = magnitudes(of: network, over: box, radius: radius)
        if let i = chain[0].firstIndex(where: { !($0 <= largest) }) {
            throw QueryError("input \(i + 1) reaches \(format(chain[0][i])) after normalisation; qrobust computes its bounds in binary64 and accepts magnitudes up to \(format(largest))")
        }
        for l in 1..<chain.count {
            if let k = chain[l].firstIndex(where: { !($0 <= largest) }) {
                throw QueryError("the values of \(name) can reach \(format(chain[l][k])) at layer \(l), neuron \(k + 1), over this input region (a bound without cancellation); qrobust computes its bounds in binary64 and accepts magnitudes up to \(format(largest)): scale the weights or the inputs")
            }
        }
    }

    /// The magnitude chain: `[m₀, m₁, …]`, the inputs' bound first, then each
    /// layer's pre-activation bound per neuron (also a bound after ReLU or
    /// identity). Each entry bounds `|value|` for every input in the box and
    /// every parameter vector within `radius`; entries may be ∞ (or NaN past one).
    public static func magnitudes(of network: Network, over box: [(lower: Rational, upper: Rational)],
                                  radius: PerturbationSet? = nil) -> [[Double]] {
        var chain = [box.map { Rational.max($0.lower.magnitude, $0.upper.magnitude).roundedUp }]
        for (l, layer) in network.layers.enumerated() {
            let h = chain[chain.count - 1]
            chain.append((0..<layer.outputSize).map { k in
                let bias = layer.biases[k]
                var m = (abs(bias) + (radius?.radiusUpperBound(of: bias, at: .init(layer: l, row: k, column: nil)) ?? 0)).nextUp
                for (j, (w, x)) in zip(layer.weights[k], h).enumerated() {
                    let coefficient = (abs(w) + (radius?.radiusUpperBound(of: w, at: .init(layer: l, row: k, column: j)) ?? 0)).nextUp
                    m = (m + (coefficient * x).nextUp).nextUp
                }
                return m
            })
        }
        return chain
    }

    private static func format(_ value: Double) -> String {
        value.isFinite ? String(format: "%.3g", value) : "more than 1.8e308"  // ∞ or NaN
    }
}
