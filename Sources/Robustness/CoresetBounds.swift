import Bounds
import Compression
import NeuralNetwork
import Queries

extension CoresetPruning {
    /// Bounds on `|φ(u_j)|` for every hidden neuron over a region of raw inputs, from
    /// the Bounds module's symbolic bounds (sound, outward-rounded): the radius β of
    /// each layer's input that the coreset's sensitivities need, computed rather than guessed.
    public static func activationBounds(of network: Network, over region: InputRegion) -> [[Double]] {
        let box = region.normalized(by: network.normalization).map { Interval($0.lower.roundedDown, $0.upper.roundedUp) }
        let bounds = SymbolicBounds(network: network, box: box)
        return zip(network.layers.dropLast(), bounds.preActivations).map { layer, ranges in
            ranges.map { layer.activation == .relu ? max(0, $0.upper) : $0.magnitude }
        }
    }
}
