import Bounds
import Compression
import ExactArithmetic
import NeuralNetwork
import TestSupport
import Testing

/// A box split on a ReLU's phase (``NeuronRanges/fixing(compressed:layer:neuron:active:)``):
/// each part's bounds must hold, exactly, at every input of the box whose
/// pre-activation has that part's sign, and a phase no input has must show as
/// an empty part.
@Suite("ReLU phase splits of a box, against exact evaluation")
struct PhaseSplitTests {
    static func exact(_ x: Double) -> Rational { Rational(exactly: x)! }

    static func contains(_ interval: Interval, _ value: Rational) -> Bool {
        guard let lower = Rational(exactly: interval.lower), let upper = Rational(exactly: interval.upper) else { return false }
        return lower <= value && value <= upper
    }

    /// Pre-activations of every layer at x, exactly.
    static func preActivations(_ network: Network, _ x: [Double]) -> [[Rational]] {
        var h = x.map(exact), result: [[Rational]] = []
        for layer in network.exactLayers {
            result.append(layer.preActivations(h))
            h = layer.apply(h)
        }
        return result
    }

    @Test("each part's bounds hold at every sampled input of that part, for ReLUs of both networks",
          arguments: [(UInt64(31), true), (32, false), (33, true)])
    func partsHold(seed: UInt64, backSubstitutes: Bool) throws {
        let f = TestNetworks.random(sizes: [3, 8, 8, 2], hidden: .relu, output: .logits, seed: seed)
        let g = try FixedPoint(fractionalBits: 4).apply(to: f)
        let analysis = DifferentialAnalysis(original: f, compared: .concrete(g), backSubstitutes: backSubstitutes)
        var rng = SeededGenerator(seed: seed &+ 100)
        var splits = 0, checked = 0, failures = 0
        for _ in 0..<6 {
            let box = (0..<3).map { _ -> Interval in
                let c = Double.random(in: -1...1, using: &rng)
                return Interval(c - 0.3, c + 0.3)
            }
            let bounds = analysis.bounds(over: box)
            let ranges = NeuronRanges(bounds)
            // Every straddling ReLU of the hidden layers, of f and of g.
            var phases: [(compressed: Bool, layer: Int, neuron: Int)] = []
            for l in 0..<2 {
                for k in 0..<8 {
                    if bounds.original[l][k].lower < 0 && bounds.original[l][k].upper > 0 { phases.append((false, l, k)) }
                    if bounds.compressed[l][k].lower < 0 && bounds.compressed[l][k].upper > 0 { phases.append((true, l, k)) }
                }
            }
            for phase in phases.prefix(6) {
                splits += 1
                let parts = [true, false].map { active in
                    analysis.bounds(over: box, known: ranges.fixing(compressed: phase.compressed, layer: phase.layer,
                                                                    neuron: phase.neuron, active: active))
                }
                for _ in 0..<60 {
                    let x = box.map { Double.random(in: $0.lower...$0.upper, using: &rng) }
                    let uf = Self.preActivations(f, x), ug = Self.preActivations(g, x)
                    let u = (phase.compressed ? ug : uf)[phase.layer][phase.neuron]
                    for (active, part) in zip([true, false], parts) where active ? !u.isNegative : !u.isPositive {
                        checked += 1
                        if part.isEmpty { failures += 1; continue }  // an input of the part: it is not empty
                        for l in uf.indices {
                            for k in uf[l].indices {
                                if !Self.contains(part.original[l][k], uf[l][k]) { failures += 1 }
                                if !Self.contains(part.compressed[l][k], ug[l][k]) { failures += 1 }
                            }
                        }
                        for i in 0..<2 {
                            if !Self.contains(part.originalRange[i], uf.last![i]) { failures += 1 }
                            if !Self.contains(part.differenceRange[i], ug.last![i] - uf.last![i]) { failures += 1 }
                        }
                    }
                }
            }
        }
        #expect(splits >= 6, "too few straddling ReLUs to test (\(splits))")
        #expect(checked >= 300)
        #expect(failures == 0)
    }

    @Test("a phase the box's inputs do not have gives an empty part; the phase they have does not")
    func impossiblePhaseIsEmpty() throws {
        let f = TestNetworks.random(sizes: [3, 8, 8, 2], hidden: .relu, output: .logits, seed: 41)
        let g = try FixedPoint(fractionalBits: 4).apply(to: f)
        let analysis = DifferentialAnalysis(original: f, compared: .concrete(g))
        let box = [Interval(0.1, 0.11), Interval(-0.2, -0.19), Interval(0.5, 0.51)]
        let bounds = analysis.bounds(over: box)
        let ranges = NeuronRanges(bounds)
        #expect(!analysis.bounds(over: box, known: ranges).isEmpty)
        var found = 0
        for l in 0..<2 {
            for k in 0..<8 {
                let r = bounds.original[l][k]
                guard r.lower > 0 || r.upper < 0 else { continue }
                found += 1
                let active = r.lower > 0
                let wrong = analysis.bounds(over: box, known: ranges.fixing(compressed: false, layer: l, neuron: k, active: !active))
                let right = analysis.bounds(over: box, known: ranges.fixing(compressed: false, layer: l, neuron: k, active: active))
                #expect(wrong.isEmpty, "layer \(l) neuron \(k): range \(r), phase active = \(!active)")
                #expect(!right.isEmpty)
            }
        }
        #expect(found > 0)
    }
}
