import ExactArithmetic
import NeuralNetwork

/// Confidence-calibrated magnitude pruning (Alvarez 2024): the largest pruning
/// ratio of a grid that Learn-then-Test certifies, on calibration data, to keep
/// the pruned network's risk ≤ α with probability ≥ 1 − δ.
///
/// The grid is walked from the least pruning to the most (fixed-sequence
/// testing: pruning more is expected to cost more). A point's loss is 1 when
/// the pruned network's class differs from the original network's
/// (``Loss/disagreement``) or from its label (``Loss/error``), else 0; classes
/// are computed in binary64, as a deployed network computes them (sigmoid:
/// logit > 0; softmax and raw logits: the first largest).
public struct ConfidentPruning: Sendable {
    public enum Loss: String, Sendable, CaseIterable {
        case disagreement, error
    }

    /// The sparsities to test, increasing.
    public var grid: [Double]
    public var alpha: Rational
    public var delta: Rational
    public var loss: Loss
    public var pValue: LearnThenTest.PValue
    /// How each sparsity is reached.
    public var perLayer: Bool
    public var includesBiases: Bool

    public init(grid: [Double], alpha: Rational, delta: Rational, loss: Loss = .disagreement,
                pValue: LearnThenTest.PValue = .binomial, perLayer: Bool = false, includesBiases: Bool = false) throws {
        guard MagnitudePruning.isSparsityGrid(grid) else {
            throw CompressionError("the sparsity grid must be increasing values between 0 and 1")
        }
        guard alpha.isPositive, alpha < .one else { throw CompressionError("α must lie strictly between 0 and 1, found \(alpha.approximateDouble)") }
        guard delta.isPositive, delta < .one else { throw CompressionError("δ must lie strictly between 0 and 1, found \(delta.approximateDouble)") }
        (self.grid, self.alpha, self.delta, self.loss, self.pValue) = (grid, alpha, delta, loss, pValue)
        (self.perLayer, self.includesBiases) = (perLayer, includesBiases)
    }

    /// The calibration's outcome.
    public struct Calibration: Sendable {
        /// One test per grid sparsity, in grid order.
        public var tests: [LearnThenTest.Test]
        /// The largest certified sparsity; nil when none is ("no λ certified" is an honest answer).
        public var chosen: Double?
        public var n: Int
    }

    /// Calibrates on raw inputs (and labels, for the error loss).
    /// - Throws: ``CompressionError`` for an empty set, or labels missing or out of range for the error loss.
    public func calibrate(_ network: Network, inputs: [[Double]], labels: [Int]?) throws -> Calibration {
        guard !inputs.isEmpty else { throw CompressionError("the calibration set is empty") }
        let classes = max(2, network.outputSize)
        let reference: [Int]
        switch loss {
        case .disagreement:
            reference = inputs.map { Network.predictedClass(logits: network.logits(at: $0)) }
        case .error:
            guard let labels, labels.count == inputs.count else {
                throw CompressionError("the error loss needs a label for every calibration row")
            }
            if let bad = labels.firstIndex(where: { !(0..<classes).contains($0) }) {
                throw CompressionError("calibration row \(bad + 1): label \(labels[bad]) is not one of the network's classes 0…\(classes - 1)")
            }
            reference = labels
        }
        return try calibrate(network, n: inputs.count) { pruned in
            zip(inputs, reference).filter { x, y in Network.predictedClass(logits: pruned.logits(at: x)) != y }.count
        }
    }

    /// Calibrates with any 0–1 loss: `losses(pruned)` counts the n calibration rows that
    /// the pruned network loses. It is asked for each grid sparsity while the walk goes on.
    public func calibrate(_ network: Network, n: Int, losses: (Network) throws -> Int) throws -> Calibration {
        guard n > 0 else { throw CompressionError("the calibration set is empty") }
        let tests = try LearnThenTest.fixedSequence(count: grid.count, of: n, alpha: alpha, delta: delta, pValue: pValue) { i in
            try losses(MagnitudePruning(sparsity: grid[i], perLayer: perLayer, includesBiases: includesBiases).apply(to: network).network)
        }
        return Calibration(tests: tests, chosen: tests.lastIndex { $0.certified }.map { grid[$0] }, n: n)
    }
}
