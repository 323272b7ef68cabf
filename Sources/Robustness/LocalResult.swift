import ExactArithmetic
import NeuralNetwork

/// A certified interval for the maximal deviation: `lower` is reached by a
/// replayed witness, `upper` is proved.
public struct DeviationBounds: Sendable, Equatable {
    public var lower: Rational
    public var upper: Rational

    public init(lower: Rational, upper: Rational) {
        self.lower = lower
        self.upper = upper
    }
}

/// A compressed network's behaviour at one input, replayed exactly.
public struct Witness: Sendable {
    /// The raw input.
    public var input: [Rational]
    /// The original network's logits there, exact.
    public var originalLogits: [Rational]
    /// The compressed network's logits there, exact.
    public var compressedLogits: [Rational]
    /// The metric's value for this pair (an enclosure for σ/softmax).
    public var deviation: Enclosure
    /// For perturbation sets: every neuron's perturbed pre-activation, layer by
    /// layer (the per-neuron choices of the Lemma).
    public var neuronValues: [[Rational]]?
    /// For perturbation sets: a parameter vector inside Θ_Δ that realises the choices.
    public var parameters: [ExactLayer]?
}

extension Witness {
    /// Whether the compressed network predicts another class than the original
    /// here; nil when the outputs are not a classifier's.
    public func flipsClass(output: OutputKind) -> Bool? {
        MetricEvaluator.predictedClass(originalLogits, output: output).map {
            MetricEvaluator.predictedClass(compressedLogits, output: output) != $0
        }
    }
}

/// Counters of a check.
/// Encoded in JSON reports under these names.
public struct QueryStatistics: Sendable, Equatable, Codable {
    /// Satisfiability checks (plain solver).
    public var checks = 0
    /// Optimisation calls.
    public var optimizations = 0
    /// Witnesses replayed outside Z3.
    public var replays = 0
    /// Objectives answered exactly by back-substitution, without a solver
    /// (every hidden neuron's sign fixed; ``StableChain``).
    public var backSubstitutions = 0
    /// Linear programs solved by the ReLU branch and bound (``ReluBranchAndBound``).
    public var lpNodes = 0
    /// ReLU phase splits made by the branch and bound.
    public var reluSplits = 0

    public init() {}

    /// Adds another engine's counters to these.
    mutating func add(_ other: QueryStatistics) {
        checks += other.checks
        optimizations += other.optimizations
        replays += other.replays
        backSubstitutions += other.backSubstitutions
        lpNodes += other.lpNodes
        reluSplits += other.reluSplits
    }
}

/// The answer to a ``LocalQuery``.
public struct LocalResult: Sendable {
    /// The verdict; nil when no τ was given (the query only measured) and the
    /// metric is not `flip`.
    public var verdict: Verdict?
    public var deviation: DeviationBounds
    /// The witness reaching `deviation.lower` (nil when the deviation is 0).
    public var witness: Witness?
    /// Why the answer is `unknown` or the interval is wider than asked.
    public var reason: String?
    public var seconds: Double
    public var statistics: QueryStatistics
    /// The originally predicted class (0 or 1 for a sigmoid output).
    public var originalClass: Int?
}
