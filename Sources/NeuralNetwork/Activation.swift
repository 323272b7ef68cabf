/// The activation applied after a dense layer.
public enum Activation: String, Sendable, Codable, CaseIterable {
    /// `max(0, u)`.
    case relu
    /// The identity ("linear" layers).
    case identity

    /// Applies the activation in floating point.
    @inlinable public func apply(_ u: Double) -> Double {
        switch self {
        case .relu: u > 0 ? u : 0
        case .identity: u
        }
    }
}

/// How the network's last-layer values (the logits) turn into a prediction.
public enum OutputKind: String, Sendable, Codable, CaseIterable {
    /// One logit `z`; confidence of class 1 is `σ(z)`, class 1 iff `z > 0`.
    case sigmoid
    /// Two or more logits; confidence of class c is `softmax(z)_c`, class = argmax.
    case softmax
    /// Raw outputs (regression, or a file format that does not say); the
    /// probability metric is not available.
    case logits
}
