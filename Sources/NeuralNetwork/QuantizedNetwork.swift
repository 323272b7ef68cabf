import ExactArithmetic

/// A network whose activations are quantised as it runs: the float network
/// read from a QDQ ONNX file (weights and biases dequantised exactly) with a
/// ``Quantizer`` at each place the file quantises the data path.
///
/// Its exact evaluation is the integer arithmetic a runtime performs with
/// int8 or uint8 activations, exact int32 accumulation and exact
/// requantisation (see ``Quantizer``); the function is piecewise constant in
/// the input. It is kept apart from ``Network`` so that no analysis that does
/// not model the quantisers can read it as the float network.
public struct QuantizedNetwork: Sendable, Equatable {
    /// Where on the data path a quantizer sits.
    public enum Position: Sendable, Hashable, Comparable, CustomStringConvertible {
        /// On the (normalised) input, before the first layer.
        case input
        /// After layer l's weights, before its biases are added (a `MatMul` quantised before its `Add`).
        case product(Int)
        /// After layer l's weights and biases, before its activation.
        case preActivation(Int)
        /// After layer l's activation.
        case output(Int)

        /// Where the data meets it: the input, then per layer product, pre-activations, outputs.
        private var order: Int {
            switch self {
            case .input: 0
            case .product(let l): 3 * l + 1
            case .preActivation(let l): 3 * l + 2
            case .output(let l): 3 * l + 3
            }
        }

        public static func < (a: Position, b: Position) -> Bool { a.order < b.order }

        public var description: String {
            switch self {
            case .input: "the input"
            case .product(let l): "layer \(l)'s product W·x (before its biases)"
            case .preActivation(let l): "layer \(l)'s pre-activations"
            case .output(let l): "layer \(l)'s outputs"
            }
        }
    }

    /// The quantizer the logits leave through, if any: the last one on the data path.
    public var logitQuantizer: Quantizer? {
        let last = network.layers.count - 1
        return quantizers[.output(last)] ?? quantizers[.preActivation(last)]
    }

    /// The network without the quantizers (what the file's dequantised weights compute in real arithmetic).
    public var network: Network
    /// The quantizers, at most one per position.
    public var quantizers: [Position: Quantizer]

    /// Each layer's weights alone (no biases, identity), exactly, and its biases:
    /// converted once, as evaluation runs many times.
    let products: [ExactLayer]
    let biases: [[Rational]]
    /// The weights as machine integers, where they fit (see ``IntegerRows``).
    let integerRows: [IntegerRows?]

    public init(network: Network, quantizers: [Position: Quantizer]) {
        self.network = network
        self.quantizers = quantizers
        let exact = network.exactLayers
        products = exact.map { layer in
            ExactLayer(weights: layer.weights, biases: layer.biases.map { _ in .zero }, activation: .identity)
        }
        biases = exact.map(\.biases)
        integerRows = network.layers.map { IntegerRows($0.weights) }
    }

    public static func == (a: QuantizedNetwork, b: QuantizedNetwork) -> Bool {
        a.network == b.network && a.quantizers == b.quantizers
    }

    public var inputSize: Int { network.inputSize }
    public var outputSize: Int { network.outputSize }

    /// The logits at a raw input, exactly: each quantizer rounds the values at its position.
    /// - Parameter watching: told each value a quantizer receives, before it rounds it
    ///   (to see how close an input comes to a rounding tie).
    public func exactLogits(at raw: [Rational],
                            watching: ((_ position: Position, _ quantizer: Quantizer, _ value: Rational) -> Void)? = nil) -> [Rational] {
        exactLogits(normalizedInput: network.normalizedInput(raw), watching: watching)
    }

    /// The logits at a normalised input, exactly (see ``exactLogits(at:watching:)``).
    public func exactLogits(normalizedInput x: [Rational],
                            watching: ((_ position: Position, _ quantizer: Quantizer, _ value: Rational) -> Void)? = nil) -> [Rational] {
        /// The integers `q − z` and the scale of the values the last quantizer gave, if the
        /// data came straight from one: the next product is then an integer accumulation.
        var integers: (offsets: [Int], scale: Rational)?
        func quantized(_ values: [Rational], at position: Position) -> [Rational] {
            guard let q = quantizers[position] else { return values }
            if let watching { values.forEach { watching(position, q, $0) } }
            let offsets = values.map { q.quantize($0) - q.zeroPoint }
            integers = (offsets, q.scale)
            return offsets.map { Rational($0) * q.scale }
        }
        var h = quantized(x, at: .input)
        for (l, product) in products.enumerated() {
            // W·h: an int64 accumulation where the input is quantised and the weights
            // fit (as a runtime's int32 one), else integers over one common denominator.
            let accumulated = integers.flatMap { input in integerRows[l]?.product(input.offsets, scale: input.scale) }
            integers = nil
            var u = quantized(accumulated ?? product.apply(CommonDenominatorVector(h)).rationals, at: .product(l))
            integers = nil
            u = quantized(zip(u, biases[l]).map { $0 + $1 }, at: .preActivation(l))
            if network.layers[l].activation == .relu {
                integers = integers.map { ($0.offsets.map { Swift.max($0, 0) }, $0.scale) }
                u = u.map { $0.isNegative ? .zero : $0 }
            }
            h = quantized(u, at: .output(l))
        }
        return h
    }
}
