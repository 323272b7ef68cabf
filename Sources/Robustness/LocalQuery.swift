import Bounds
import Compression
import ExactArithmetic
import NeuralNetwork
import Queries

/// A local robustness question at one input (docs/semantics.md §1.3).
public struct LocalQuery: Sendable {
    public var network: Network
    public var compression: CompressionModel
    /// The raw input; the network's input normalisation (if any) is applied to it.
    public var input: [Rational]
    public var metric: Metric
    /// The threshold τ > 0; with it the check decides, without it it measures.
    public var tau: Rational?
    /// The largest width of the reported deviation interval that the search
    /// may stop at (when the exact optimum is not found directly).
    public var tolerance: Rational
    /// Wall-clock limit in seconds for the whole check; nil for none.
    public var timeLimit: Double?
    public var encoding: Encoding

    public init(network: Network, compression: CompressionModel, input: [Rational], metric: Metric = .probability,
                tau: Rational? = nil, tolerance: Rational = Rational(1, 1_000_000), timeLimit: Double? = nil,
                encoding: Encoding = .linear) {
        self.network = network
        self.compression = compression
        self.input = input
        self.metric = metric
        self.tau = tau
        self.tolerance = tolerance
        self.timeLimit = timeLimit
        self.encoding = encoding
    }

    /// Rejects questions that have no meaning, before any solving.
    public func validate() throws {
        guard input.count == network.inputSize else {
            throw QueryError("the input has \(input.count) values, the network takes \(network.inputSize)")
        }
        try validateThresholds(tau: tau, tolerance: tolerance, timeLimit: timeLimit, metric: metric, output: network.output)
        let point = network.normalizedInput(input)
        try validateMagnitudes(network: network, compression: compression, box: point.map { ($0, $0) })
    }
}

/// The checks local and global queries share: τ, tolerance and time limit
/// positive, and the probability metric only on a classifier.
func validateThresholds(tau: Rational?, tolerance: Rational, timeLimit: Double?, metric: Metric, output: OutputKind) throws {
    if let tau, !tau.isPositive { throw QueryError("τ must be positive, found \(tau.approximateDouble)") }
    guard tolerance.isPositive else { throw QueryError("the tolerance must be positive, found \(tolerance.approximateDouble)") }
    if let timeLimit, !(timeLimit > 0) { throw QueryError("the time limit must be positive, found \(timeLimit)") }
    if metric == .probability && output == .logits {
        throw QueryError("the probability metric needs a sigmoid or softmax output, but the model gives raw logits (say which the outputs are, or use the logit metric)", setting: .outputKind)
    }
}

/// Refuses a question whose values could overflow binary64 (``MagnitudeLimit``):
/// the original network's, and the compressed network's or every member of
/// the perturbation set's, over the normalised box.
func validateMagnitudes(network: Network, compression: CompressionModel,
                        box: [(lower: Rational, upper: Rational)]) throws {
    switch compression {
    case .concrete(let compressed):
        try MagnitudeLimit.check(network, over: box)
        try MagnitudeLimit.check(compressed, over: box, name: "the compressed network")
    case .quantized(let compressed):
        // Its quantizers only round and clamp; the real-valued network bounds the magnitudes the exact evaluation meets.
        try MagnitudeLimit.check(network, over: box)
        try MagnitudeLimit.check(compressed.network, over: box, name: "the compressed network")
    case .perturbation(let set):
        guard set.fits(network) else {
            throw QueryError("the perturbation set has one radius per parameter of a network of another shape")
        }
        try MagnitudeLimit.check(network, over: box, radius: set, name: "the perturbed network")
    }
}
