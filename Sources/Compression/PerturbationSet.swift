import ExactArithmetic
import NeuralNetwork

/// The set `Θ_Δ(θ) = { θ' : |θ'_i − θ_i| ≤ Δ_i }` of parameter vectors a
/// quantiser may produce (docs/semantics.md §1.2). A "robust" answer over this set
/// holds for every quantiser whose error stays within Δ.
public enum PerturbationSet: Sendable, Equatable, CustomStringConvertible {
    /// The same radius for every parameter (fixed point: `2^-(k+1)` or `2^-k`).
    case absolute(radius: Double)
    /// `Δ_i = max(u·|θ_i|, floor)` (floating-point formats).
    case relative(unitRoundoff: Double, floor: Double)

    /// The radius `Δ_i` of the parameter whose original value is `value`, exactly.
    public func radius(of value: Double) -> Rational {
        switch self {
        case .absolute(let radius):
            return Rational(exactly: radius)!
        case .relative(let u, let floor):
            return Rational.max(Rational(exactly: u)! * Rational(exactly: value)!.magnitude, Rational(exactly: floor)!)
        }
    }

    /// An upper bound of ``radius(of:)`` in binary64 (for bound propagation).
    public func radiusUpperBound(of value: Double) -> Double {
        switch self {
        case .absolute(let radius): radius
        case .relative(let u, let floor): Swift.max((u * Swift.abs(value)).nextUp, floor)
        }
    }

    /// Checks that exact parameters lie in `Θ_Δ` around `network`'s.
    /// - Returns: nil when they do, else the first parameter outside (for the error message).
    public func firstViolation(of parameters: [ExactLayer], around network: Network) -> String? {
        guard parameters.count == network.layers.count else { return "layer count differs" }
        for (l, (exact, original)) in zip(parameters, network.layers).enumerated() {
            guard exact.weights.count == original.weights.count, exact.biases.count == original.biases.count else {
                return "layers[\(l)] shape differs"
            }
            for k in original.weights.indices {
                guard exact.weights[k].count == original.weights[k].count else { return "layers[\(l)].weights[\(k)] shape differs" }
                for j in original.weights[k].indices {
                    let w = original.weights[k][j]
                    if radius(of: w) < (exact.weights[k][j] - Rational(exactly: w)!).magnitude {
                        return "layers[\(l)].weights[\(k)][\(j)]"
                    }
                }
                let b = original.biases[k]
                if radius(of: b) < (exact.biases[k] - Rational(exactly: b)!).magnitude {
                    return "layers[\(l)].biases[\(k)]"
                }
            }
        }
        return nil
    }

    public var description: String {
        switch self {
        case .absolute(let r): "|θ' − θ| ≤ \(r)"
        case .relative(let u, let floor): "|θ' − θ| ≤ max(\(u)·|θ|, \(floor))"
        }
    }
}
