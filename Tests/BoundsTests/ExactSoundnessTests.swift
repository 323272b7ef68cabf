import Bounds
import Compression
import ExactArithmetic
import NeuralNetwork
import TestSupport
import Testing

/// The bounds against exact rational evaluation, with zero slack.
///
/// The sampling tests in `BoundsTests` allow 1e-9 for the samples' own
/// binary64 rounding, and that slack hides a missing outward rounding: with
/// every `nextUp`/`nextDown` removed from the Bounds module they still pass.
/// Here every sample is evaluated exactly, every bound is read as the exact
/// dyadic rational it stores, and a bound one ulp too tight fails. Most boxes
/// are points or a few ulps wide, where the bound is an evaluation whose
/// rounding decides the outcome.
@Suite("Bounds against exact evaluation, no slack")
struct ExactSoundnessTests {
    /// Whether the exact value lies in the interval, read exactly.
    static func contains(_ interval: Interval, _ value: Rational) -> Bool {
        guard let lower = Rational(exactly: interval.lower), let upper = Rational(exactly: interval.upper) else { return false }
        return lower <= value && value <= upper
    }

    /// A box around a random point of [-1, 1]^n: the point itself, a few ulps, or 1e-3 wide.
    static func box(_ n: Int, _ shape: Int, rng: inout SeededGenerator) -> (box: [Interval], points: [[Double]]) {
        let centre = (0..<n).map { _ in Double.random(in: -1...1, using: &rng) }
        let box: [Interval] = centre.map { c in
            switch shape % 3 {
            case 0: Interval(c, c)
            case 1: Interval(c.nextDown.nextDown, c.nextUp.nextUp)
            default: Interval(c - 1e-3, c + 1e-3)
            }
        }
        var points = [box.map(\.lower), box.map(\.upper), centre]
        points.append(box.map { Double.random(in: $0.lower...$0.upper, using: &rng) })
        return (box, points)
    }

    /// Exact pre-activations of every layer at x.
    static func exactPreActivations(_ layers: [ExactLayer], _ x: [Double]) -> [[Rational]] {
        var h = x.map { Rational(exactly: $0)! }, result: [[Rational]] = []
        for layer in layers {
            let u = layer.preActivations(h)
            result.append(u)
            h = layer.apply(h)
        }
        return result
    }

    @Test("one network: pre-activation ranges and output ranges contain the exact values",
          arguments: [(UInt64(1), Activation.relu), (2, .identity), (3, .relu), (4, .identity)])
    func singleNetwork(_ seed: UInt64, _ hidden: Activation) {
        let network = TestNetworks.random(sizes: [3, 7, 6, 2], hidden: hidden, output: .logits, seed: seed)
        var rng = SeededGenerator(seed: seed &+ 500)
        var failures = 0
        for shape in 0..<60 {
            let (box, points) = Self.box(3, shape, rng: &rng)
            let bounds = SymbolicBounds(network: network, box: box)
            let outputs = bounds.outputRanges(over: box)
            for x in points {
                let exact = Self.exactPreActivations(network.exactLayers, x)
                for (l, layer) in exact.enumerated() {
                    for (k, v) in layer.enumerated() where !Self.contains(bounds.preActivations[l][k], v) { failures += 1 }
                }
                for (i, v) in exact.last!.enumerated() where !Self.contains(outputs[i], v) { failures += 1 }
            }
        }
        #expect(failures == 0)
    }

    @Test("rounded copy: the differential range contains the exact g − f", arguments: [UInt64(11), 12, 13])
    func concretePair(_ seed: UInt64) throws {
        let f = TestNetworks.random(sizes: [2, 8, 8, 2], hidden: .relu, output: .logits, seed: seed)
        let g = try FixedPoint(fractionalBits: 5).apply(to: f)
        var rng = SeededGenerator(seed: seed &+ 600)
        var failures = 0
        for shape in 0..<90 {
            let (box, points) = Self.box(2, shape, rng: &rng)
            let pair = DifferentialAnalysis(original: f, compared: .concrete(g)).bounds(over: box)
            for x in points {
                let exactX = x.map { Rational(exactly: $0)! }
                let d = zip(g.exactLogits(at: exactX), f.exactLogits(at: exactX)).map { $0 - $1 }
                for i in d.indices where !Self.contains(pair.differenceRange[i], d[i]) { failures += 1 }
                let u = Self.exactPreActivations(g.exactLayers, x)
                for (l, layer) in u.enumerated() {
                    for (k, v) in layer.enumerated() where !Self.contains(pair.compressed[l][k], v) { failures += 1 }
                }
            }
        }
        #expect(failures == 0)
    }

    @Test("a compared network of the same sizes but other hidden activations: g − f's range contains the exact value",
          arguments: [(UInt64(14), false), (15, true)])
    func otherActivations(_ seed: UInt64, _ backSubstitutes: Bool) {
        // The same weights with linear hidden layers: every layer has f's size, but not its ReLUs.
        let f = TestNetworks.random(sizes: [3, 8, 8, 2], hidden: .relu, output: .logits, seed: seed)
        let g = TestNetworks.linearTwin(of: f)
        let analysis = DifferentialAnalysis(original: f, compared: .concrete(g), backSubstitutes: backSubstitutes)
        var rng = SeededGenerator(seed: seed &+ 650)
        var failures = 0
        for shape in 0..<30 {
            let (box, points) = Self.box(3, shape, rng: &rng)
            let pair = analysis.refined(analysis.bounds(over: box), over: box)
            for x in points {
                let exactX = x.map { Rational(exactly: $0)! }
                let d = zip(g.exactLogits(at: exactX), f.exactLogits(at: exactX)).map { $0 - $1 }
                for i in d.indices where !Self.contains(pair.differenceRange[i], d[i]) { failures += 1 }
            }
        }
        #expect(failures == 0)
    }

    @Test("perturbation set: the bounds contain the exact output of parameter vectors at Θ_Δ's corners",
          arguments: [(UInt64(31), Activation.relu), (32, .identity)])
    func perturbationSet(_ seed: UInt64, _ hidden: Activation) {
        let f = TestNetworks.random(sizes: [2, 5, 4, 1], hidden: hidden, output: .logits, seed: seed)
        // A radius that is not a power of two, so that Δ·|h| rounds.
        let set = PerturbationSet.relative(unitRoundoff: 0.013, floor: 0x1p-20)
        let radii = PerturbationRadii(network: f, set: set)
        let theta = TestNetworks.parameters(f).map { Rational(exactly: $0)! }
        let flatRadii = zip(radii.weights, radii.biases).flatMap { weights, biases in Array(weights.joined()) + biases }
        var rng = SeededGenerator(seed: seed &+ 700)
        var failures = 0
        for shape in 0..<45 {
            let (box, points) = Self.box(2, shape, rng: &rng)
            let pair = DifferentialAnalysis(original: f, compared: .perturbation(radii)).bounds(over: box)
            for x in points {
                let exactX = x.map { Rational(exactly: $0)! }
                let z = f.exactLogits(at: exactX)[0]
                let pre = perturbedPreActivationBounds(network: f, radii: radii, input: exactX)
                for _ in 0..<6 {
                    let corner = zip(theta, flatRadii).map { Bool.random(using: &rng) ? $0 + $1 : $0 - $1 }
                    let layers = TestNetworks.exactLayers(f, corner)
                    let d = Network.exactLogits(layers: layers, normalizedInput: exactX)[0] - z
                    if !Self.contains(pair.differenceRange[0], d) { failures += 1 }
                    for (l, layer) in Self.exactPreActivations(layers, x).enumerated() {
                        for (k, v) in layer.enumerated() where !Self.contains(pre[l][k], v) { failures += 1 }
                    }
                }
            }
        }
        #expect(failures == 0)
    }

    @Test("back-substituted pre-activation bounds at a point contain every sampled member of Θ_Δ, exactly, and are no wider",
          arguments: [(UInt64(51), Activation.relu), (52, .relu), (53, .identity), (54, .relu)])
    func backSubstitutedBounds(_ seed: UInt64, _ hidden: Activation) {
        let f = TestNetworks.random(sizes: [3, 8, 8, 6, 2], hidden: hidden, output: .logits, seed: seed)
        let set = PerturbationSet.relative(unitRoundoff: 0.02, floor: 0x1p-12)
        let radii = PerturbationRadii(network: f, set: set)
        let theta = TestNetworks.parameters(f).map { Rational(exactly: $0)! }
        let flatRadii = zip(radii.weights, radii.biases).flatMap { weights, biases in Array(weights.joined()) + biases }
        var rng = SeededGenerator(seed: seed &+ 800)
        var failures = 0, tighter = 0
        for _ in 0..<8 {
            let x = (0..<3).map { _ in Rational(exactly: Double.random(in: -1...1, using: &rng))! }
            let loose = perturbedPreActivationBounds(network: f, radii: radii, input: x)
            let tight = PerturbedBackSubstitution.preActivationBounds(network: f, radii: radii, input: x)
            for l in tight.indices {
                for k in tight[l].indices {
                    if tight[l][k].lower < loose[l][k].lower || tight[l][k].upper > loose[l][k].upper { failures += 1 }
                    if tight[l][k].width < loose[l][k].width { tighter += 1 }
                }
            }
            for _ in 0..<40 {
                let vertex = Bool.random(using: &rng)
                let member = zip(theta, flatRadii).map { t, r -> Rational in
                    vertex ? (Bool.random(using: &rng) ? t + r : t - r) : t + r * Rational(Int.random(in: -32...32, using: &rng), 32)
                }
                var h = x
                for (l, layer) in TestNetworks.exactLayers(f, member).enumerated() {
                    for (k, v) in layer.preActivations(h).enumerated() where !Self.contains(tight[l][k], v) { failures += 1 }
                    h = layer.apply(h)
                }
            }
        }
        #expect(failures == 0)
        #expect(tighter > 0, "back-substitution should tighten some bound of a 4-layer network")
    }
}
