/// A fully connected layer `y = activation(W·x + b)`.
///
/// Weights are the binary64 values the model file stores; every exact
/// computation converts them with `Rational(exactly:)`.
public struct DenseLayer: Sendable, Equatable {
    /// Row `k` holds the weights of neuron `k` (outputs × inputs).
    public var weights: [[Double]]
    /// One bias per neuron.
    public var biases: [Double]
    public var activation: Activation

    public init(weights: [[Double]], biases: [Double], activation: Activation) {
        self.weights = weights
        self.biases = biases
        self.activation = activation
    }

    public var outputSize: Int { biases.count }
    public var inputSize: Int { weights.first?.count ?? 0 }
    public var parameterCount: Int { weights.reduce(0) { $0 + $1.count } + biases.count }
}
