import ExactArithmetic

/// The parameters of one layer as exact rationals, for replaying witnesses.
public struct ExactLayer: Sendable, Equatable {
    public var weights: [[Rational]]
    public var biases: [Rational]
    public var activation: Activation

    public init(weights: [[Rational]], biases: [Rational], activation: Activation) {
        self.weights = weights
        self.biases = biases
        self.activation = activation
    }

    /// The exact values a binary64 layer stores.
    public init(_ layer: DenseLayer) {
        self.weights = layer.weights.map { $0.map { Rational(exactly: $0)! } }
        self.biases = layer.biases.map { Rational(exactly: $0)! }
        self.activation = layer.activation
    }

    /// Pre-activations `W·x + b`, exactly.
    public func preActivations(_ x: [Rational]) -> [Rational] {
        weights.indices.map { k in
            var sum = biases[k]
            for (w, v) in zip(weights[k], x) where !w.isZero && !v.isZero { sum += w * v }
            return sum
        }
    }

    /// `activation(W·x + b)`, exactly.
    public func apply(_ x: [Rational]) -> [Rational] {
        let u = preActivations(x)
        switch activation {
        case .identity: return u
        case .relu: return u.map { $0.isNegative ? .zero : $0 }
        }
    }
}

extension Network {
    /// The layers with their exact parameter values.
    public var exactLayers: [ExactLayer] { layers.map(ExactLayer.init) }

    /// Applies the input normalisation (if any) to a raw input, exactly.
    public func normalizedInput(_ raw: [Rational]) -> [Rational] {
        normalization?.normalize(raw) ?? raw
    }

    /// The logits at a raw input, in exact rational arithmetic.
    public func exactLogits(at raw: [Rational]) -> [Rational] {
        Network.exactLogits(layers: exactLayers, normalizedInput: normalizedInput(raw))
    }

    /// The logits of arbitrary exact parameters at an already normalised input.
    public static func exactLogits(layers: [ExactLayer], normalizedInput x: [Rational]) -> [Rational] {
        layers.reduce(x) { h, layer in layer.apply(h) }
    }

    /// The logits at a raw input, in floating point (fast; not for proofs).
    public func logits(at raw: [Double]) -> [Double] {
        var h = normalization?.normalize(raw) ?? raw
        for layer in layers {
            h = layer.weights.indices.map { k in
                var sum = layer.biases[k]
                for j in h.indices { sum += layer.weights[k][j] * h[j] }
                return layer.activation.apply(sum)
            }
        }
        return h
    }
}
