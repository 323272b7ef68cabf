import Bounds
import NeuralNetwork
import Synchronization

/// Both networks' parameters as exact rationals, each made once, on first use:
/// a search that never calls Z3 needs them only to replay its witness, and
/// converting ACAS Xu's 13,000 weights up front took a tenth of a short query.
final class ExactLayerPair: Sendable {
    private let network: Network
    private let compared: ComparedParameters
    private let madeOriginal = Mutex<[ExactLayer]?>(nil)
    private let madeCompressed = Mutex<[ExactLayer]?>(nil)

    init(original: Network, compared: ComparedParameters) {
        self.network = original
        self.compared = compared
    }

    /// The original network's exact layers.
    var original: [ExactLayer] {
        madeOriginal.withLock { made in
            if let made { return made }
            let layers = network.exactLayers
            made = layers
            return layers
        }
    }

    /// A concrete compressed network's exact layers; for a perturbation set its
    /// centre (the original's); none for a quantized network, whose exact
    /// logits come from its own integer arithmetic.
    var compressed: [ExactLayer] {
        switch compared {
        case .perturbation: return original
        case .quantized: return []
        case .concrete(let g):
            return madeCompressed.withLock { made in
                if let made { return made }
                let layers = g.exactLayers
                made = layers
                return layers
            }
        }
    }
}
