import Bounds
import Compression
import NeuralNetwork
import TestSupport
import Testing

/// Every bound is checked against the networks evaluated at sampled points
/// (and, for perturbation sets, at sampled parameter vectors): a bound that a
/// sample escapes is a soundness bug.
@Suite("Symbolic and differential bounds")
struct BoundsTests {
    /// A random box inside [-1, 1]^n, and `count` points in it (its corners first).
    static func boxAndPoints(_ n: Int, count: Int, rng: inout SeededGenerator) -> ([Interval], [[Double]]) {
        let box = (0..<n).map { _ in
            let a = Double.random(in: -1...1, using: &rng), b = Double.random(in: -1...1, using: &rng)
            return Interval(min(a, b), max(a, b))
        }
        var points = (0..<(1 << n)).map { mask in (0..<n).map { mask & (1 << $0) != 0 ? box[$0].upper : box[$0].lower } }
        while points.count < count {
            points.append(box.map { Double.random(in: $0.lower...$0.upper, using: &rng) })
        }
        return (box, points)
    }

    /// Pre-activations of every layer at x, in binary64 (sampling only).
    static func preActivations(_ network: Network, _ x: [Double]) -> [[Double]] {
        var h = x, result: [[Double]] = []
        for layer in network.layers {
            let u = layer.weights.indices.map { k in zip(layer.weights[k], h).reduce(layer.biases[k]) { $0 + $1.0 * $1.1 } }
            result.append(u)
            h = u.map(layer.activation.apply)
        }
        return result
    }

    /// Whether v lies in the interval, with slack for the sample's own binary64 rounding.
    static func inside(_ v: Double, _ i: Interval) -> Bool {
        let slack = 1e-9 * max(1, abs(v))
        return i.lower - slack <= v && v <= i.upper + slack
    }

    @Test("one network: samples stay within the pre-activation ranges and output forms",
          arguments: [(UInt64(1), Activation.relu), (2, .relu), (3, .identity), (4, .relu), (5, .relu)])
    func singleNetwork(_ seed: UInt64, _ hidden: Activation) {
        let network = TestNetworks.random(sizes: [3, 6, 5, 2], hidden: hidden, output: .logits, seed: seed)
        var rng = SeededGenerator(seed: seed &+ 100)
        let (box, points) = Self.boxAndPoints(3, count: 300, rng: &rng)
        let bounds = SymbolicBounds(network: network, box: box)
        for x in points {
            let u = Self.preActivations(network, x)
            for (l, layer) in u.enumerated() {
                for (k, v) in layer.enumerated() { #expect(Self.inside(v, bounds.preActivations[l][k]), "layer \(l) neuron \(k) at \(x)") }
            }
            let z = network.logits(at: x)
            let point = x.map { Interval($0, $0) }
            for i in z.indices {
                #expect(Self.inside(z[i], bounds.outputs.concrete(i, over: point)), "output \(i) at \(x)")
            }
        }
    }

    @Test("rounded and pruned copy: g − f stays within the differential bounds, which beat subtracting boxes",
          arguments: [UInt64(11), 12, 13, 14])
    func concretePair(_ seed: UInt64) throws {
        let f = TestNetworks.random(sizes: [2, 8, 8, 1], hidden: .relu, output: .logits, seed: seed)
        let rounded = try FixedPoint(fractionalBits: 3).apply(to: f)
        let g = try f.withLayers(rounded.layers.map { layer in
            DenseLayer(weights: layer.weights.map { $0.map { abs($0) < 0.1 ? 0 : $0 } }, biases: layer.biases,
                       activation: layer.activation)
        })
        var rng = SeededGenerator(seed: seed)
        let (box, points) = Self.boxAndPoints(2, count: 400, rng: &rng)
        let pair = DifferentialAnalysis(original: f, compared: .concrete(g)).bounds(over: box)
        for x in points {
            let d = g.logits(at: x)[0] - f.logits(at: x)[0]
            #expect(Self.inside(d, pair.differenceRange[0]), "g − f = \(d) at \(x) escapes \(pair.differenceRange[0])")
            for (l, layer) in Self.preActivations(g, x).enumerated() {
                for (k, v) in layer.enumerated() { #expect(Self.inside(v, pair.compressed[l][k])) }
            }
        }
        let separate = SymbolicBounds(network: g, box: box).outputRanges(over: box)[0]
            - SymbolicBounds(network: f, box: box).outputRanges(over: box)[0]
        #expect(pair.differenceRange[0].width < separate.width)
    }

    @Test("a pruned copy with fewer hidden neurons: g − f stays within the bounds")
    func differentShapes() throws {
        let f = TestNetworks.random(sizes: [2, 6, 1], hidden: .relu, output: .logits, seed: 21)
        let g = try Network(inputSize: 2, layers: [
            DenseLayer(weights: Array(f.layers[0].weights.prefix(4)), biases: Array(f.layers[0].biases.prefix(4)), activation: .relu),
            DenseLayer(weights: [Array(f.layers[1].weights[0].prefix(4))], biases: f.layers[1].biases, activation: .identity),
        ])
        var rng = SeededGenerator(seed: 22)
        let (box, points) = Self.boxAndPoints(2, count: 300, rng: &rng)
        let analysis = DifferentialAnalysis(original: f, compared: .concrete(g))
        #expect(!analysis.isDifferential)
        let pair = analysis.bounds(over: box)
        for x in points {
            #expect(Self.inside(g.logits(at: x)[0] - f.logits(at: x)[0], pair.differenceRange[0]))
        }
    }

    @Test("perturbation set: sampled parameter vectors in Θ_Δ stay within the differential bounds",
          arguments: [(UInt64(31), Activation.relu), (32, .relu), (33, .identity)])
    func perturbationSet(_ seed: UInt64, _ hidden: Activation) {
        let f = TestNetworks.random(sizes: [2, 5, 4, 1], hidden: hidden, output: .logits, seed: seed)
        let delta = 0.03
        let radii = PerturbationRadii(network: f, set: .absolute(radius: delta))
        var rng = SeededGenerator(seed: seed)
        let (box, points) = Self.boxAndPoints(2, count: 60, rng: &rng)
        let pair = DifferentialAnalysis(original: f, compared: .perturbation(radii)).bounds(over: box)
        let theta = TestNetworks.parameters(f)
        for x in points {
            let z = f.logits(at: x)[0]
            for _ in 0..<40 {
                let vertex = Bool.random(using: &rng)
                let perturbed = theta.map { $0 + (vertex ? (Bool.random(using: &rng) ? delta : -delta) : Double.random(in: -delta...delta, using: &rng)) }
                let d = TestNetworks.logits(f, perturbed, x)[0] - z
                #expect(Self.inside(d, pair.differenceRange[0]), "g − f = \(d) at \(x) escapes \(pair.differenceRange[0])")
            }
        }
    }

    @Test("on a tiny box where every ReLU is stable the difference bound is tight")
    func tightOnStableBoxes() throws {
        let f = TestNetworks.random(sizes: [2, 8, 8, 1], hidden: .relu, output: .logits, seed: 41)
        let g = try FixedPoint(fractionalBits: 4).apply(to: f)
        let x = [0.31, -0.17]
        let box = x.map { Interval($0 - 1e-7, $0 + 1e-7) }
        let pair = DifferentialAnalysis(original: f, compared: .concrete(g)).bounds(over: box)
        #expect(pair.unstableCount == 0)
        let d = g.logits(at: x)[0] - f.logits(at: x)[0]
        #expect(Self.inside(d, pair.differenceRange[0]))
        #expect(pair.differenceRange[0].width < 1e-5)
    }
}
