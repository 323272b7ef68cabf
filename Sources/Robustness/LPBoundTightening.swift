import Bounds
import ExactArithmetic
import Foundation
import LPBounds
import NeuralNetwork

/// Tightens the pre-activation bounds of unstable ReLUs, layer by layer, by
/// maximising and minimising each one over the LP of the layers before it
/// (``PerturbationLP`` on the network cut after that layer).
///
/// Each LP sees the triangle relaxations of the earlier layers with bounds
/// already tightened, so it is never looser than back-substitution, and often
/// much tighter in deep layers, where a box of offsets adds up. A ReLU whose
/// range no longer contains 0 becomes stable; the others get narrower
/// triangles. Every new bound is proved by ``CertifiedLP`` and intersected
/// with the old one, so the result is sound whatever GLPK did.
enum LPBoundTightening {
    /// The tightened bounds (the input bounds where an LP proved nothing, or
    /// where `deadline` passed first).
    static func tighten(layers: [ExactLayer], radii: PerturbationRadii, input: [Rational], bounds: [[Interval]],
                        deadline: Date?, statistics: inout QueryStatistics) -> [[Interval]] {
        var bounds = bounds
        // Layer 0 is exact intervals already (x is fixed); the output layer has no ReLU.
        for l in 1..<Swift.max(1, layers.count - 1) where layers[l].activation == .relu {
            let unstable = bounds[l].indices.filter { bounds[l][$0].lower < 0 && bounds[l][$0].upper > 0 }
            if unstable.isEmpty { continue }
            if let deadline, Date() >= deadline { break }
            var cut = Array(layers[0...l])
            cut[l].activation = .identity
            guard let encoding = try? PerturbationLP(layers: cut, radii: radii, input: input, bounds: Array(bounds[0...l]))
            else { break }
            for k in unstable {
                var range = bounds[l][k]
                for sign in [Rational.one, -Rational.one] {
                    if let deadline, Date() >= deadline { break }
                    var objective = Array(repeating: Rational.zero, count: layers[l].weights.count)
                    objective[k] = sign
                    guard (try? encoding.setObjective(objective)) == true else { continue }
                    statistics.lpNodes += 1
                    guard case .bounded(let upper, _) = encoding.solver.maximize(
                        timeLimit: deadline.map { Swift.max(0.001, $0.timeIntervalSinceNow) }) else { continue }
                    if sign.isPositive {
                        range = Interval(range.lower, Swift.min(range.upper, upper))
                    } else {
                        range = Interval(Swift.max(range.lower, -upper), range.upper)
                    }
                    // Stable now: the other side cannot change that.
                    if !(range.lower < 0 && range.upper > 0) { break }
                }
                if range.lower <= range.upper { bounds[l][k] = range }
            }
        }
        return bounds
    }
}
