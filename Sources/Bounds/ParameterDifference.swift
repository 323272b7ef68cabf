import NeuralNetwork

/// The parameter differences `W' − W` and `b' − b` of two networks of the
/// same shape, split by the TwoSum error-free transformation into a binary64
/// value and its exact rounding error: `w' − w = value + error` exactly, so
/// the differential bounds can use `value` as a coefficient and add
/// `|error|·max|h|` to their constants.
struct ParameterDifference: Sendable {
    var weights: [[Double]]
    var weightErrors: [[Double]]
    var biases: [Double]
    var biasErrors: [Double]

    init(original: DenseLayer, compressed: DenseLayer) {
        var weights: [[Double]] = [], weightErrors: [[Double]] = []
        for (row, rowPrime) in zip(original.weights, compressed.weights) {
            let pairs = zip(rowPrime, row).map { Self.difference($0, $1) }
            weights.append(pairs.map(\.value))
            weightErrors.append(pairs.map { abs($0.error) })
        }
        let biasPairs = zip(compressed.biases, original.biases).map { Self.difference($0, $1) }
        self.weights = weights
        self.weightErrors = weightErrors
        self.biases = biasPairs.map(\.value)
        self.biasErrors = biasPairs.map { abs($0.error) }
    }

    /// `a − b` as `value + error` exactly (Knuth's TwoSum on `a + (−b)`).
    static func difference(_ a: Double, _ b: Double) -> (value: Double, error: Double) {
        let s = a - b
        let bVirtual = s - a
        let aVirtual = s - bVirtual
        let error = (a - aVirtual) + (-b - bVirtual)
        return (s, error)
    }
}
