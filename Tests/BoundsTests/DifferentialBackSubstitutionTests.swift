import Compression
import ExactArithmetic
import NeuralNetwork
import TestSupport
import Testing
@testable import Bounds

/// ``DifferentialBackSubstitution``: its bounds of `Σ p_k·u_k + q_k·u'_k`
/// against exact rational evaluation with zero slack, its rounding terms on
/// a sum that binary64 cancels, and its gain over the forward difference forms.
@Suite("Differential back-substitution")
struct DifferentialBackSubstitutionTests {
    /// A random ReLU (or linear) network of three inputs and two outputs against its fixed-point
    /// copy, the analysis with back-substitution, and the differential back-substitution.
    static func pair(width: Int, hidden: Activation = .relu, bits: Int, seed: UInt64) throws
        -> (f: Network, g: Network, analysis: DifferentialAnalysis, substitution: DifferentialBackSubstitution) {
        let f = TestNetworks.random(sizes: [3, width, width, width, 2], hidden: hidden, output: .logits, seed: seed)
        let g = try FixedPoint(fractionalBits: bits).apply(to: f)
        return (f, g, DifferentialAnalysis(original: f, compared: .concrete(g), backSubstitutes: true),
                DifferentialBackSubstitution(original: f, compressed: g))
    }

    /// The ranges `bounds` proved, in the form the back-substitution reads.
    static func ranges(_ bounds: PairBounds) throws -> DifferentialBackSubstitution.Ranges {
        .init(original: bounds.original, compressed: bounds.compressed,
              difference: try #require(bounds.preActivationDifference))
    }

    @Test("random combinations of both networks' pre-activations, δ and g − f contain the exact values",
          arguments: [(UInt64(91), Activation.relu), (92, .relu), (93, .relu), (94, .identity)])
    func exactSoundness(_ seed: UInt64, _ hidden: Activation) throws {
        let (f, g, analysis, substitution) = try Self.pair(width: 10, hidden: hidden, bits: 4, seed: seed)
        var rng = SeededGenerator(seed: seed &+ 500)
        var failures = 0, checked = 0, differenceMode = 0
        for shape in 0..<24 {
            let (box, points) = BoxBackSubstitutionTests.box(3, halfWidth: [0.3, 0.05, 1e-3][shape % 3], rng: &rng)
            let bounds = analysis.bounds(over: box)
            failures += BoxBackSubstitutionTests.misses(bounds, f, g, at: points)
            let below = try Self.ranges(bounds)
            let exactF = points.map { BoxBackSubstitutionTests.preActivations(f.exactLayers, $0) }
            let exactG = points.map { BoxBackSubstitutionTests.preActivations(g.exactLayers, $0) }
            // Every proved δ range holds u' − u.
            for (pf, pg) in zip(exactF, exactG) {
                for l in pf.indices {
                    for k in pf[l].indices where !ExactSoundnessTests.contains(below.difference[l][k], pg[l][k] - pf[l][k]) {
                        failures += 1
                    }
                }
            }
            for layer in 1..<f.layers.count {
                let width = f.layers[layer].outputSize
                for _ in 0..<3 {
                    // Coefficients of opposite signs on the two networks (as for δ) and of any sign.
                    let p = (0..<width).map { _ in Double(Int.random(in: -4...4, using: &rng)) / 4 }
                    let q = p.map { Bool.random(using: &rng) ? -$0 * 1.125 : Double(Int.random(in: -4...4, using: &rng)) / 4 }
                    if zip(p, q).contains(where: { $0 * $1 < 0 }) { differenceMode += 1 }
                    let upper = substitution.maximum(original: p, compressed: q, layer: layer, box: box, below: below)
                    for (pf, pg) in zip(exactF, exactG) {
                        var value = Rational(0)
                        for k in 0..<width {
                            value = value + Rational(exactly: p[k])! * pf[layer][k] + Rational(exactly: q[k])! * pg[layer][k]
                        }
                        checked += 1
                        if upper.isFinite, Rational(exactly: upper)! < value { failures += 1 }
                    }
                }
            }
        }
        #expect(failures == 0)
        #expect(checked > 1000 && (differenceMode > 100 || hidden == .identity))
    }

    @Test("refined bounds still contain the exact values, are never looser, and tighten g − f on some boxes",
          arguments: [UInt64(97), 98])
    func refinedBounds(_ seed: UInt64) throws {
        let (f, g, analysis, _) = try Self.pair(width: 10, bits: 5, seed: seed)
        #expect(analysis.refines)
        var rng = SeededGenerator(seed: seed &+ 900)
        var failures = 0, looser = 0, tighter = 0
        for shape in 0..<30 {
            let (box, points) = BoxBackSubstitutionTests.box(3, halfWidth: [0.2, 0.02, 1e-3][shape % 3], rng: &rng)
            let bounds = analysis.bounds(over: box)
            let refined = analysis.refined(bounds, over: box)
            failures += BoxBackSubstitutionTests.misses(refined, f, g, at: points)
            for (before, after) in zip(bounds.differenceRange, refined.differenceRange) {
                if after.lower < before.lower || after.upper > before.upper { looser += 1 }
                if after.width < before.width { tighter += 1 }
            }
            // Every refined δ range still holds u' − u.
            let d = try #require(refined.preActivationDifference)
            for x in points {
                let pf = BoxBackSubstitutionTests.preActivations(f.exactLayers, x)
                let pg = BoxBackSubstitutionTests.preActivations(g.exactLayers, x)
                for l in pf.indices {
                    for k in pf[l].indices where !ExactSoundnessTests.contains(d[l][k], pg[l][k] - pf[l][k]) { failures += 1 }
                }
            }
        }
        #expect(failures == 0)
        #expect(looser == 0)
        #expect(tighter > 0, "refinement tightened nothing; the test checks nothing new")
    }

    @Test("the coefficients' rounding is bounded: Σ(u'_k − u_k) = 0.75 where binary64 sums the input's coefficients to 2 and −2")
    func coefficientCancellation() throws {
        // One input x = 1 and three neurons; f's weights (1e16, 0.75, −1e16), g's (1e16, 1.5, −1e16):
        // the sum of u'_k − u_k is 0.75 exactly. Summed in round-to-nearest, x's coefficient is 0
        // in f and ±2 in g, so a bound without error terms claims [2, 2], which misses 0.75.
        func network(_ middle: Double) throws -> Network {
            try Network(inputSize: 1, layers: [DenseLayer(weights: [[1e16], [middle], [-1e16]], biases: [0, 0, 0], activation: .identity)])
        }
        let substitution = DifferentialBackSubstitution(original: try network(0.75), compressed: try network(1.5))
        let box = [Interval(1)], none = DifferentialBackSubstitution.Ranges(original: [], compressed: [], difference: [])
        let upper = substitution.maximum(original: [-1, -1, -1], compressed: [1, 1, 1], layer: 0, box: box, below: none)
        let lower = -substitution.maximum(original: [1, 1, 1], compressed: [-1, -1, -1], layer: 0, box: box, below: none)
        #expect(lower <= 0.75 && upper >= 0.75, "[\(lower), \(upper)] misses the exact 0.75")
        #expect(upper - lower <= 1024, "[\(lower), \(upper)] is far looser than the error terms need")
    }

    @Test("on small boxes across kinks it bounds g − f tighter than the forward difference forms",
          arguments: [UInt64(95), 96])
    func tighterThanForward(_ seed: UInt64) throws {
        let (f, _, analysis, substitution) = try Self.pair(width: 12, bits: 5, seed: seed)
        var rng = SeededGenerator(seed: seed &+ 700)
        var tighter = 0, looser = 0
        for _ in 0..<40 {
            let (box, _) = BoxBackSubstitutionTests.box(3, halfWidth: 0.02, rng: &rng)
            let bounds = analysis.bounds(over: box)
            guard BoxBackSubstitutionTests.unstable(bounds.original) + BoxBackSubstitutionTests.unstable(bounds.compressed) > 0
            else { continue }
            let below = try Self.ranges(bounds)
            let last = f.layers.count - 1
            for i in 0..<2 {
                var (p, q) = ([0.0, 0.0], [0.0, 0.0])
                (p[i], q[i]) = (-1, 1)
                let upper = substitution.maximum(original: p, compressed: q, layer: last, box: box, below: below)
                let forward = bounds.differenceOutputs.upper.maximum(i, over: box)
                if upper < forward { tighter += 1 } else if upper > forward { looser += 1 }
            }
        }
        #expect(tighter > looser, "tighter \(tighter), looser \(looser)")
    }
}
