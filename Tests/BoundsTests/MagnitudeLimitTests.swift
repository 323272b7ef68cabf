import Bounds
import Compression
import ExactArithmetic
import NeuralNetwork
import Queries
import TestSupport
import Testing

/// ``MagnitudeLimit`` refuses queries whose values could overflow binary64,
/// and its magnitude chain really bounds every value it claims to.
@Suite("Magnitude limit")
struct MagnitudeLimitTests {
    /// x ↦ b·relu(a·x): by hand, the chain is max|x|, |a|·max|x|, |b|·|a|·max|x|.
    static func chain(_ a: Double, _ b: Double) throws -> Network {
        try Network(inputSize: 1, layers: [
            DenseLayer(weights: [[a]], biases: [0], activation: .relu),
            DenseLayer(weights: [[b]], biases: [0], activation: .identity),
        ])
    }

    static func box(_ lo: Rational, _ hi: Rational) -> [(lower: Rational, upper: Rational)] { [(lo, hi)] }

    @Test("hand-worked: 1e60 · 1e50 over [0, 1] is refused at layer 2; over [0, 1e-20] it is accepted")
    func handWorked() throws {
        let network = try Self.chain(1e60, 1e50)
        let error = #expect(throws: QueryError.self) { try MagnitudeLimit.check(network, over: Self.box(.zero, Rational(1))) }
        #expect(error?.message.contains("layer 2, neuron 1") == true, "\(String(describing: error))")
        let small = Rational(1, 1) / Rational(parsing: "1e20")!
        try MagnitudeLimit.check(network, over: Self.box(.zero, small))
        let chain = MagnitudeLimit.magnitudes(of: network, over: Self.box(.zero, small))
        #expect(chain[2][0] >= 1e90 && chain[2][0] < 1.0001e90)
    }

    @Test("an input beyond the limit, or beyond binary64, is named")
    func hugeInputs() throws {
        let network = try Self.chain(1, 1)
        let beyond = Rational(parsing: "1e400")!
        #expect(throws: QueryError.self) { try MagnitudeLimit.check(network, over: Self.box(.zero, beyond)) }
        #expect(throws: QueryError.self) { try MagnitudeLimit.check(network, over: Self.box(-Rational(parsing: "2e100")!, .zero)) }
    }

    @Test("a perturbation radius counts: Δ = 1e99 on weight 1 and input 2 gives more than 1e100")
    func radiusCounts() throws {
        let network = try Self.chain(1, 1)
        try MagnitudeLimit.check(network, over: Self.box(.zero, Rational(2)))
        #expect(throws: QueryError.self) {
            try MagnitudeLimit.check(network, over: Self.box(.zero, Rational(2)), radius: .absolute(radius: 1e99))
        }
    }

    @Test("the chain bounds every exact value of every layer, for the network and Θ_Δ's corners", arguments: [UInt64(1), 2, 3])
    func chainIsSound(_ seed: UInt64) {
        let network = TestNetworks.random(sizes: [3, 6, 5, 2], hidden: seed == 2 ? .identity : .relu, output: .logits, seed: seed)
        let radius = PerturbationSet.absolute(radius: 0.01)
        var rng = SeededGenerator(seed: seed &+ 40)
        let box = (0..<3).map { _ in
            let a = Double.random(in: -2...2, using: &rng), b = Double.random(in: -2...2, using: &rng)
            return (lower: Rational(exactly: min(a, b))!, upper: Rational(exactly: max(a, b))!)
        }
        let chain = MagnitudeLimit.magnitudes(of: network, over: box, radius: radius)
        let theta = TestNetworks.parameters(network).map { Rational(exactly: $0)! }
        let delta = Rational(exactly: 0.01)!
        for _ in 0..<50 {
            var h = box.map { Bool.random(using: &rng) ? $0.lower : $0.upper }
            let corner = theta.map { Bool.random(using: &rng) ? $0 + delta : $0 - delta }
            for (l, layer) in TestNetworks.exactLayers(network, corner).enumerated() {
                for (k, u) in layer.preActivations(h).enumerated() {
                    #expect(u.magnitude <= Rational(exactly: chain[l + 1][k])!, "layer \(l) neuron \(k)")
                }
                h = layer.apply(h)
            }
        }
    }
}
