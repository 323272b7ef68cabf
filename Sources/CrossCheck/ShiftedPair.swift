import ExactArithmetic
import NeuralNetwork
import Queries
import SDPBounds

/// An SDP question as one pair of networks on one input, which the SMT search
/// and the sampler can take as they are.
///
/// Without input quantisation that is the two networks over the raw box.
/// With it, both networks take `(x̂, t)` in the normalised box × `[−ĉ, ĉ]ⁿ`
/// (exactly the set the SDP covers): the original ignores t (first-layer
/// weights `[W₁ | 0]`), the compressed network sees `x̂ + t` (`[W₂ | W₂]`).
public struct ShiftedPair: Sendable {
    public var original: Network
    public var compressed: Network
    public var region: InputRegion
    public var isShifted: Bool

    public init(_ query: SDPQuery) {
        let shift = query.normalizedShift
        guard shift.contains(where: { $0 > 0 }) else {
            (original, compressed, region, isShifted) = (query.original, query.compressed, query.region, false)
            return
        }
        let box = query.region.normalized(by: query.original.normalization)
        let c = shift.map { Rational(exactly: $0)! }
        region = InputRegion(lower: box.map(\.lower) + c.map { -$0 }, upper: box.map(\.upper) + c)
        original = Self.widened(query.original) { row in row + Array(repeating: 0, count: row.count) }
        compressed = Self.widened(query.compressed) { row in row + row }
        isShifted = true
    }

    /// The network with its first layer's rows rewritten for 2n inputs and no input normalisation.
    private static func widened(_ network: Network, _ row: ([Double]) -> [Double]) -> Network {
        var layers = network.layers
        layers[0].weights = layers[0].weights.map(row)
        // The shapes and values come from a valid network, so this cannot fail.
        return try! Network(inputSize: 2 * network.inputSize, layers: layers, output: .logits)
    }
}
