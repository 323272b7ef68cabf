import Compression
import ExactArithmetic
import NeuralNetwork
import TestSupport
import Testing
@testable import Bounds

/// Box bounds with back-substitution (``BoxBackSubstitution`` inside
/// ``DifferentialAnalysis``): against exact rational evaluation with zero slack,
/// against the bounds without it, and against the interval-arithmetic
/// back-substitution it replaces on boxes.
@Suite("Back-substitution over a box")
struct BoxBackSubstitutionTests {
    /// A box of the given half-width around a random point of [-1, 1]^n, and points in it:
    /// its two extreme corners, its centre and random ones.
    static func box(_ n: Int, halfWidth: Double, rng: inout SeededGenerator) -> (box: [Interval], points: [[Double]]) {
        let centre = (0..<n).map { _ in Double.random(in: -1...1, using: &rng) }
        let box = centre.map { Interval($0 - halfWidth, $0 + halfWidth) }
        var points = [box.map(\.lower), box.map(\.upper), centre]
        for _ in 0..<5 { points.append(box.map { Double.random(in: $0.lower...$0.upper, using: &rng) }) }
        return (box, points)
    }

    /// Every pre-activation of exact layers at x.
    static func preActivations(_ layers: [ExactLayer], _ x: [Double]) -> [[Rational]] {
        var h = x.map { Rational(exactly: $0)! }, result: [[Rational]] = []
        for layer in layers {
            result.append(layer.preActivations(h))
            h = layer.apply(h)
        }
        return result
    }

    /// How many of the bounds' ranges (f's and g's pre-activations, g − f at the outputs)
    /// miss the exact value at one of the points: 0 for sound bounds.
    static func misses(_ bounds: PairBounds, _ f: Network, _ g: Network, at points: [[Double]]) -> Int {
        var misses = 0
        for x in points {
            let exactX = x.map { Rational(exactly: $0)! }
            let d = zip(g.exactLogits(at: exactX), f.exactLogits(at: exactX)).map { $0 - $1 }
            for i in d.indices where !ExactSoundnessTests.contains(bounds.differenceRange[i], d[i]) { misses += 1 }
            for (ranges, network) in [(bounds.original, f), (bounds.compressed, g)] {
                for (l, layer) in Self.preActivations(network.exactLayers, x).enumerated() {
                    for (k, v) in layer.enumerated() where !ExactSoundnessTests.contains(ranges[l][k], v) { misses += 1 }
                }
            }
        }
        return misses
    }

    static func unstable(_ ranges: [[Interval]]) -> Int {
        ranges.dropLast().joined().filter { $0.lower < 0 && $0.upper > 0 }.count
    }

    @Test("concrete pair: both networks' ranges and g − f contain the exact values, and fewer ReLUs stay unstable",
          arguments: [UInt64(61), 62, 63])
    func concretePair(_ seed: UInt64) throws {
        let f = TestNetworks.random(sizes: [3, 10, 10, 10, 2], hidden: .relu, output: .logits, seed: seed)
        let g = try FixedPoint(fractionalBits: 4).apply(to: f)
        var rng = SeededGenerator(seed: seed &+ 100)
        var failures = 0, fewerUnstable = 0
        for shape in 0..<30 {
            let (box, points) = Self.box(3, halfWidth: [0.3, 0.05, 1e-3][shape % 3], rng: &rng)
            let forward = DifferentialAnalysis(original: f, compared: .concrete(g)).bounds(over: box)
            let tight = DifferentialAnalysis(original: f, compared: .concrete(g), backSubstitutes: true).bounds(over: box)
            if Self.unstable(tight.original) + Self.unstable(tight.compressed)
                < Self.unstable(forward.original) + Self.unstable(forward.compressed) { fewerUnstable += 1 }
            failures += Self.misses(tight, f, g, at: points)
        }
        #expect(failures == 0)
        #expect(fewerUnstable > 0, "back-substitution fixed no ReLU; the test checks nothing new")
    }

    @Test("a half starts from its parent's ranges: still exact-sound, and mostly tighter",
          arguments: [UInt64(71), 72, 73])
    func halvesInheritRanges(_ seed: UInt64) throws {
        let f = TestNetworks.random(sizes: [3, 10, 10, 10, 2], hidden: .relu, output: .logits, seed: seed)
        let g = try FixedPoint(fractionalBits: 4).apply(to: f)
        let analysis = DifferentialAnalysis(original: f, compared: .concrete(g), backSubstitutes: true)
        var rng = SeededGenerator(seed: seed &+ 7)
        var failures = 0, looser = 0, tighter = 0
        for shape in 0..<20 {
            let (parentBox, _) = Self.box(3, halfWidth: [0.3, 0.05][shape % 2], rng: &rng)
            let parent = analysis.bounds(over: parentBox)
            let axis = shape % 3
            for half in [Interval(parentBox[axis].lower, parentBox[axis].midpoint), Interval(parentBox[axis].midpoint, parentBox[axis].upper)] {
                var box = parentBox
                box[axis] = half
                let alone = analysis.bounds(over: box)
                let inherited = analysis.bounds(over: box, known: NeuronRanges(parent))
                for (a, b) in zip(inherited.differenceRange, alone.differenceRange) {
                    if a.lower < b.lower || a.upper > b.upper { looser += 1 }
                    if a.lower > b.lower || a.upper < b.upper { tighter += 1 }
                }
                let points = [box.map(\.lower), box.map(\.upper)]
                    + (0..<6).map { _ in box.map { Double.random(in: $0.lower...$0.upper, using: &rng) } }
                failures += Self.misses(inherited, f, g, at: points)
            }
        }
        #expect(failures == 0)
        // Tighter ranges can change a ReLU's relaxation (its lower line follows the range's
        // shape), so an output bound is not always tighter; mostly it is.
        #expect(tighter > looser, "tighter \(tighter), looser \(looser)")
        #expect(tighter > 0, "the parent's ranges tightened nothing; the test checks nothing new")
    }

    @Test("perturbation set: the ranges of every member and its deviation contain the exact values at sampled members",
          arguments: [(UInt64(71), Activation.relu), (72, .relu), (73, .identity)])
    func perturbationSet(_ seed: UInt64, _ hidden: Activation) {
        let f = TestNetworks.random(sizes: [3, 8, 8, 6, 1], hidden: hidden, output: .logits, seed: seed)
        // A radius that is not a power of two, so that Δ·|h| rounds.
        let radii = PerturbationRadii(network: f, set: .relative(unitRoundoff: 0.013, floor: 0x1p-20))
        let theta = TestNetworks.parameters(f).map { Rational(exactly: $0)! }
        let flatRadii = zip(radii.weights, radii.biases).flatMap { weights, biases in Array(weights.joined()) + biases }
        var rng = SeededGenerator(seed: seed &+ 200)
        var failures = 0, tighter = 0
        for shape in 0..<24 {
            let (box, points) = Self.box(3, halfWidth: [0.2, 0.02, 0][shape % 3], rng: &rng)
            let forward = DifferentialAnalysis(original: f, compared: .perturbation(radii)).bounds(over: box)
            let tight = DifferentialAnalysis(original: f, compared: .perturbation(radii), backSubstitutes: true).bounds(over: box)
            for (before, after) in zip(forward.compressed.joined(), tight.compressed.joined()) where after.width < before.width {
                tighter += 1
            }
            for x in points {
                let exactX = x.map { Rational(exactly: $0)! }
                let z = f.exactLogits(at: exactX)[0]
                for _ in 0..<4 {
                    let member = zip(theta, flatRadii).map { t, r -> Rational in
                        Bool.random(using: &rng) ? (Bool.random(using: &rng) ? t + r : t - r)
                                                 : t + r * Rational(Int.random(in: -16...16, using: &rng), 16)
                    }
                    let layers = TestNetworks.exactLayers(f, member)
                    let d = Network.exactLogits(layers: layers, normalizedInput: exactX)[0] - z
                    if !ExactSoundnessTests.contains(tight.differenceRange[0], d) { failures += 1 }
                    for (l, layer) in Self.preActivations(layers, x).enumerated() {
                        for (k, v) in layer.enumerated() where !ExactSoundnessTests.contains(tight.compressed[l][k], v) { failures += 1 }
                    }
                }
            }
        }
        #expect(failures == 0)
        // Only ReLU layers are tightened (an identity layer has no phase to fix).
        #expect(hidden != .relu || tighter > 0, "back-substitution tightened no range; the test checks nothing new")
    }

    @Test("the constant's sum is widened by its rounding error: a thousand terms of 0.75 between 1e16 and −1e16 are lost to round-to-nearest")
    func constantCancellation() throws {
        // One identity layer over a degenerate box: the bound sums its terms in input
        // order, 1e16, a thousand times 0.75, −1e16; exactly 750. Each 0.75 added to
        // about 1e16 (spacing 2) vanishes; rounding each term up, and the error terms
        // of the two large products (about 5.6 each), make up for a few of them only.
        let weights = [1e16] + Array(repeating: 0.75, count: 1000) + [-1e16]
        let network = try Network(inputSize: weights.count, layers: [DenseLayer(weights: [weights], biases: [0], activation: .identity)])
        let point = Array(repeating: Interval(1), count: weights.count)
        let substitution = BoxBackSubstitution(network: network, radii: nil)
        let upper = substitution.maximum(of: [1], layer: 0, box: point, below: [])
        #expect(upper >= 750, "an upper bound \(upper) below the exact value 750")
        #expect(upper <= 10_000, "a bound \(upper) far looser than the error term needs")
        let lower = -substitution.maximum(of: [-1], layer: 0, box: point, below: [])
        #expect(lower <= 750, "a lower bound \(lower) above the exact value 750")
    }

    @Test("a coefficient's own rounding error is bounded: 1e16 + 0.75 − 1e16 summed over a layer's rows is 0.75, not 0")
    func coefficientCancellation() throws {
        // Three neurons over one input x = 1, summed with coefficients (1, 1, 1): the
        // input's coefficient is 1e16 + 0.75 − 1e16, which round-to-nearest makes 0.
        let network = try Network(inputSize: 1, layers: [DenseLayer(weights: [[1e16], [0.75], [-1e16]], biases: [0, 0, 0], activation: .identity)])
        let substitution = BoxBackSubstitution(network: network, radii: nil)
        let upper = substitution.maximum(of: [1, 1, 1], layer: 0, box: [Interval(1)], below: [])
        #expect(upper >= 0.75, "an upper bound \(upper) below the exact value 0.75")
        #expect(upper <= 256, "a bound \(upper) far looser than the error term needs")
        let lower = -substitution.maximum(of: [-1, -1, -1], layer: 0, box: [Interval(1)], below: [])
        #expect(lower <= 0.75, "a lower bound \(lower) above the exact value 0.75")
    }

    @Test("the ReLU smear falls on the input that the unstable ReLUs depend on, weighted by width and relaxation gap")
    func reluSmear() throws {
        // ReLU 0 reads x₀ only and straddles 0 over the box; ReLU 1 reads x₁ only and is inactive.
        let f = try Network(inputSize: 2, layers: [
            DenseLayer(weights: [[1, 0], [0, 1]], biases: [0, -5], activation: .relu),
            DenseLayer(weights: [[1, 1]], biases: [0], activation: .identity),
        ])
        let g = try FixedPoint(fractionalBits: 8).apply(to: f)
        let box = [Interval(-1, 3), Interval(-1, 3)]
        let smear = try #require(DifferentialAnalysis(original: f, compared: .concrete(g)).bounds(over: box).reluSmear)
        // f's and g's ReLU 0: coefficient 1 in the lower and the upper forms (2), width 4,
        // gap 1·3/4 from its range [−1, 3]: 6 each.
        #expect(abs(smear[0] - 12) < 1e-9, "smear on x₀: \(smear[0])")
        #expect(smear[1] < 1e-12, "smear on x₁: \(smear[1]) (only rounding may put any there)")
    }

    @Test("the binary64 version with error terms gives the interval-arithmetic back-substitution's bound, to rounding",
          arguments: [(UInt64(81), Activation.relu), (82, .identity)])
    func agreesWithIntervalVersion(_ seed: UInt64, _ hidden: Activation) {
        let f = TestNetworks.random(sizes: [4, 12, 12, 12, 3], hidden: hidden, output: .logits, seed: seed)
        let radii = PerturbationRadii(network: f, set: .relative(unitRoundoff: 0.01, floor: 0x1p-16))
        let fast = BoxBackSubstitution(network: f, radii: radii)
        var rng = SeededGenerator(seed: seed &+ 300)
        var compared = 0
        for _ in 0..<10 {
            let (box, _) = Self.box(4, halfWidth: 0.1, rng: &rng)
            let ranges = DifferentialAnalysis(original: f, compared: .perturbation(radii)).bounds(over: box).compressed
            for l in 1..<f.layers.count {
                for k in 0..<f.layers[l].outputSize {
                    for sign in [1.0, -1.0] {
                        var row = Array(repeating: 0.0, count: f.layers[l].outputSize)
                        row[k] = sign
                        let a = fast.maximum(of: row, layer: l, box: box, below: ranges)
                        let b = PerturbedBackSubstitution.maximum(f, radii, box, ranges, layer: l, coefficients: row.map(Interval.init))
                        #expect((a - b).magnitude <= 1e-9 * max(1, b.magnitude), "layer \(l) neuron \(k): \(a) against \(b)")
                        compared += 1
                    }
                }
            }
        }
        #expect(compared == 10 * 2 * 27)
    }
}
