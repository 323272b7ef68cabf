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
    var original: [ExactLayer] { Self.once(madeOriginal) { network.exactLayers } }

    /// A concrete compressed network's exact layers; for a perturbation set its
    /// centre (the original's); none for a quantized network, whose exact
    /// logits come from its own integer arithmetic.
    var compressed: [ExactLayer] {
        switch compared {
        case .perturbation: return original
        case .quantized: return []
        case .concrete(let g): return Self.once(madeCompressed) { g.exactLayers }
        }
    }

    /// The slot's layers, made by `make` on the first call.
    private static func once(_ slot: borrowing Mutex<[ExactLayer]?>, _ make: () -> [ExactLayer]) -> [ExactLayer] {
        slot.withLock { made in
            if let made { return made }
            let layers = make()
            made = layers
            return layers
        }
    }
}
