import Bounds
import Compression
import ExactArithmetic
import NeuralNetwork
import Queries
import TestSupport
import Testing
@testable import Robustness

/// The verified loss of confident pruning against hand-worked balls.
@Suite("Verified loss of a calibration point")
struct VerifiedPruningLossTests {
    /// f(x) = x and g(x) = x − 1/10, read as sigmoid classifiers: g flips the class exactly on (0, 1/10].
    static func pair() throws -> (f: Network, g: Network) {
        (try Network(inputSize: 1, layers: [DenseLayer(weights: [[1]], biases: [0], activation: .identity)], output: .sigmoid),
         try Network(inputSize: 1, layers: [DenseLayer(weights: [[1]], biases: [-0.1], activation: .identity)], output: .sigmoid))
    }

    @Test("a ball loses exactly when it meets the flip region (0, 1/10]; the same network never loses")
    func flipsByHand() throws {
        let (f, g) = try Self.pair()
        let r = Rational(1, 20)
        let loss = try VerifiedPruningLoss(radius: r)
        // Points x = −0.495, −0.485, …, 0.495: none within rounding of a ball's edge (−0.05 or 0.15).
        let points = (0..<100).map { [Rational(-495 + 10 * $0, 1000)] }
        let expected = points.filter { x in x[0] + r > .zero && !(Rational(1, 10) < x[0] - r) }.count
        #expect(expected == 20)
        #expect(try loss.losses(original: f, pruned: g, inputs: points) == expected)
        #expect(try loss.losses(original: f, pruned: f, inputs: points) == 0)
        // A ReLU network against itself pruned by nothing: no ball loses, even across its boundary.
        let relu = TestNetworks.random(sizes: [2, 6, 1], hidden: .relu, output: .sigmoid, seed: 2)
        let grid = (0..<25).map { [Rational($0 % 5 - 2, 2), Rational($0 / 5 - 2, 2)] }
        #expect(try loss.losses(original: relu, pruned: try MagnitudePruning(sparsity: 0).apply(to: relu).network, inputs: grid) == 0)
    }

    @Test("with τ: the logit moves by exactly 1/10 everywhere, so τ = 0.2 certifies every ball and τ = 0.05 none")
    func deviationByHand() throws {
        let (f, g) = try Self.pair()
        let points = (0..<10).map { [Rational($0 - 5, 3)] }
        #expect(try VerifiedPruningLoss(radius: Rational(1, 10), tau: Rational(1, 5)).losses(original: f, pruned: g, inputs: points) == 0)
        #expect(try VerifiedPruningLoss(radius: Rational(1, 10), tau: Rational(1, 20)).losses(original: f, pruned: g, inputs: points) == 10)
        #expect(throws: QueryError.self) { try VerifiedPruningLoss(radius: Rational(-1, 10)) }
    }

    @Test("every certified ball is free of flips on a 21-point grid inside it (random ReLU pairs)", arguments: [UInt64(1), 2, 3])
    func soundAgainstGrid(seed: UInt64) throws {
        let f = TestNetworks.random(sizes: [2, 8, 1], hidden: .relu, output: .sigmoid, seed: seed)
        let g = try MagnitudePruning(sparsity: 0.3).apply(to: f).network
        let loss = try VerifiedPruningLoss(radius: Rational(1, 10))
        let analysis = DifferentialAnalysis(original: f, compared: .concrete(g))
        var certified = 0
        for i in 0..<40 {
            let centre = [Double(i % 8) / 4 - 1, Double(i / 8) / 2.5 - 1]
            guard loss.certifies(analysis, around: centre.map { Rational(exactly: $0)! }) else { continue }
            certified += 1
            for a in 0...20 {
                for b in 0...20 {
                    let x = [centre[0] + 0.1 * (Double(a) / 10 - 1), centre[1] + 0.1 * (Double(b) / 10 - 1)]
                    #expect((f.logits(at: x)[0] > 0) == (g.logits(at: x)[0] > 0), "a flip at \(x) inside a certified ball")
                }
            }
        }
        #expect(certified > 0)
    }
}
