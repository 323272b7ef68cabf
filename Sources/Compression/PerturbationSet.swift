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
    /// One radius per parameter, `weights[l][k][j]` and `biases[l][k]` (integer
    /// quantisation: half a step of each channel's scale, or more where saturation moved a weight).
    case explicit(weights: [[[Rational]]], biases: [[Rational]])

    /// Where a parameter sits: weight `[layer][row][column]`, or bias `[layer][row]` (column nil).
    public struct Position: Sendable, Equatable {
        public var layer: Int, row: Int, column: Int?
        public init(layer: Int, row: Int, column: Int?) {
            (self.layer, self.row, self.column) = (layer, row, column)
        }
    }

    /// The radius `Δ_i` of the parameter at `position` whose original value is `value`, exactly.
    public func radius(of value: Double, at position: Position) -> Rational {
        switch self {
        case .absolute(let radius):
            return Rational(exactly: radius)!
        case .relative(let u, let floor):
            return Rational.max(Rational(exactly: u)! * Rational(exactly: value)!.magnitude, Rational(exactly: floor)!)
        case .explicit(let weights, let biases):
            return position.column.map { weights[position.layer][position.row][$0] } ?? biases[position.layer][position.row]
        }
    }

    /// An upper bound of ``radius(of:at:)`` in binary64 (for bound propagation).
    public func radiusUpperBound(of value: Double, at position: Position) -> Double {
        switch self {
        case .absolute(let radius): radius
        case .relative(let u, let floor): Swift.max((u * Swift.abs(value)).nextUp, floor)
        case .explicit: radius(of: value, at: position).roundedUp
        }
    }

    /// Whether the radii fit the network's shape (an explicit set is made for one network).
    public func fits(_ network: Network) -> Bool {
        guard case .explicit(let weights, let biases) = self else { return true }
        return weights.map { $0.map(\.count) } == network.layers.map { $0.weights.map(\.count) }
            && biases.map(\.count) == network.layers.map(\.outputSize)
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
                    if radius(of: w, at: Position(layer: l, row: k, column: j)) < (exact.weights[k][j] - Rational(exactly: w)!).magnitude {
                        return "layers[\(l)].weights[\(k)][\(j)]"
                    }
                }
                let b = original.biases[k]
                if radius(of: b, at: Position(layer: l, row: k, column: nil)) < (exact.biases[k] - Rational(exactly: b)!).magnitude {
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
        case .explicit: "|θ' − θ| ≤ Δ_i per parameter"
        }
    }
}
