import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import TestSupport
import Testing
@testable import Robustness

@Suite("Local robustness over perturbation sets")
struct LocalPerturbationTests {
    /// Δ = 1/8 (2 fractional bits, nearest).
    let set = PerturbationSet.absolute(radius: 0.125)

    @Test("the hand-worked 1-2-1 network: max |z' − z| at x = 1 is 17/32")
    func handWorkedLogit() throws {
        // By hand: h1 = x = 1, h2 = relu(−1/2) = 0, z = 1. First layer: u1 ∈ 1 ± Δ(|x|+1) = [3/4, 5/4],
        // u2 ∈ −1/2 ± 1/4 stays negative. Output: z' = h1 ± Δ(h1 + 1): max 5/4 + 9/32 = 49/32,
        // min 3/4 − 7/32 = 17/32; so max |z' − 1| = max(17/32, 15/32) = 17/32.
        let result = try LocalRobustness.check(LocalQuery(
            network: TestNetworks.handWorked(), compression: .perturbation(set), input: [Rational(1)], metric: .logit))
        #expect(result.deviation.lower == Rational(17, 32))
        #expect(result.deviation.upper == Rational(17, 32))
        #expect(result.witness?.compressedLogits == [Rational(49, 32)])
    }

    @Test("the hand-worked network's probability deviation is σ(49/32) − σ(1)")
    func handWorkedProbability() throws {
        let result = try LocalRobustness.check(LocalQuery(
            network: TestNetworks.handWorked(), compression: .perturbation(set), input: [Rational(1)],
            metric: .probability, tau: Rational(11, 100)))
        func sigma(_ z: Double) -> Double { 1 / (1 + exp(-z)) }
        let expected = max(sigma(49.0 / 32) - sigma(1), sigma(1) - sigma(17.0 / 32))
        #expect(abs(result.deviation.lower.approximateDouble - expected) < 1e-12)
        #expect(abs(result.deviation.upper.approximateDouble - expected) < 1e-12)
        #expect(result.verdict == .robust)  // σ(1) − σ(17/32) ≈ 0.1013 ≤ 0.11
        let strict = try LocalRobustness.check(LocalQuery(
            network: TestNetworks.handWorked(), compression: .perturbation(set), input: [Rational(1)],
            metric: .probability, tau: Rational(1, 10)))
        #expect(strict.verdict == .notRobust)
        #expect(strict.witness?.compressedLogits == [Rational(17, 32)])
    }

    @Test("exhaustive: the 128 vertices of Θ_Δ of the 1-2-1 network reach the proved maximum", arguments: [-1.0, 0.25, 0.5, 2.0])
    func verticesOfHandWorked(_ x: Double) throws {
        let network = TestNetworks.handWorked(output: .logits)
        let input = [Rational(exactly: x)!]
        let result = try LocalRobustness.check(LocalQuery(network: network, compression: .perturbation(set), input: input, metric: .logit))
        let theta = TestNetworks.parameters(network).map { Rational(exactly: $0)! }
        let delta = Rational(1, 8)
        let z0 = network.exactLogits(at: input)[0]
        var best = Rational.zero
        for mask in 0..<(1 << theta.count) {
            let vertex = theta.indices.map { i in mask & (1 << i) != 0 ? theta[i] + delta : theta[i] - delta }
            let z = Network.exactLogits(layers: TestNetworks.exactLayers(network, vertex), normalizedInput: input)[0]
            best = Rational.max(best, (z - z0).magnitude)
        }
        #expect(!(result.deviation.upper < best), "a vertex exceeds the proved maximum")
        // The output is monotone in each parameter here, so some vertex attains the maximum.
        #expect(result.deviation.upper - best <= Rational(1, 1_000_000))
    }

    @Test("sampling never exceeds the proved maximum; the witness replays and attains it",
          arguments: [(UInt64(1), Activation.relu), (2, .relu), (3, .identity), (4, .identity), (5, .relu)])
    func sampledRandomNetworks(_ seed: UInt64, _ hidden: Activation) throws {
        let network = TestNetworks.random(sizes: [2, 3, 3, 1], hidden: hidden, output: .sigmoid, seed: seed)
        var rng = SeededGenerator(seed: seed &* 7)
        let x = [Double.random(in: -1...1, using: &rng), Double.random(in: -1...1, using: &rng)]
        let input = x.map { Rational(exactly: $0)! }
        let delta = 0.05
        let perturbation = PerturbationSet.absolute(radius: delta)
        for metric in [Metric.logit, .probability] {
            let result = try LocalRobustness.check(LocalQuery(network: network, compression: .perturbation(perturbation), input: input, metric: metric))
            #expect(result.deviation.upper - result.deviation.lower <= Rational(1, 1_000_000))
            let theta = TestNetworks.parameters(network)
            let z0 = network.logits(at: x)[0]
            var sampled = 0.0
            for trial in 0..<4000 {
                let p = theta.map { t in
                    trial % 2 == 0 ? t + (Bool.random(using: &rng) ? delta : -delta) : t + Double.random(in: -delta...delta, using: &rng)
                }
                let z = TestNetworks.logits(network, p, x)[0]
                sampled = max(sampled, metric == .logit ? abs(z - z0) : abs(1 / (1 + exp(-z)) - 1 / (1 + exp(-z0))))
            }
            #expect(sampled <= result.deviation.upper.approximateDouble + 1e-9, "sample \(sampled) above proved \(result.deviation.upper.approximateDouble)")
            try expectReplays(result, network: network, set: perturbation)
        }
    }

    @Test("QF_LRA (Lemma) and QF_NRA (direct) encodings agree", arguments: [UInt64(11), 12, 13])
    func encodingsAgree(_ seed: UInt64) throws {
        let network = TestNetworks.random(sizes: [2, 2, 1], hidden: seed == 13 ? .identity : .relu, output: .logits, seed: seed)
        let input = [Rational(1, 2), Rational(-1, 4)]
        let perturbation = PerturbationSet.absolute(radius: 0.0625)
        let tolerance = Rational(1, 100_000)
        let linear = try LocalRobustness.check(LocalQuery(network: network, compression: .perturbation(perturbation), input: input,
                                                          metric: .logit, tolerance: tolerance, encoding: .linear))
        let nonlinear = try LocalRobustness.check(LocalQuery(network: network, compression: .perturbation(perturbation), input: input,
                                                             metric: .logit, tolerance: tolerance, encoding: .nonlinear))
        // Both intervals are certified, so they must overlap; both are narrow, so they pin the same value.
        #expect(!(linear.deviation.upper < nonlinear.deviation.lower))
        #expect(!(nonlinear.deviation.upper < linear.deviation.lower))
        #expect((linear.deviation.upper - nonlinear.deviation.upper).magnitude <= tolerance * Rational(2))
        try expectReplays(nonlinear, network: network, set: perturbation)
    }

    @Test("a relative (float16) set covers the concrete float16 network", arguments: [UInt64(21), 22])
    func relativeSet(_ seed: UInt64) throws {
        let network = TestNetworks.random(sizes: [2, 4, 1], hidden: .relu, output: .logits, seed: seed)
        let input = [Rational(1, 3), Rational(2, 3)]
        let concrete = try LocalRobustness.check(LocalQuery(network: network, compression: .concrete(FloatFormat.float16.apply(to: network)),
                                                            input: input, metric: .logit))
        let set = try LocalRobustness.check(LocalQuery(network: network, compression: .perturbation(FloatFormat.float16.perturbationSet),
                                                       input: input, metric: .logit))
        #expect(!(set.deviation.upper < concrete.deviation.upper))
        try expectReplays(set, network: network, set: FloatFormat.float16.perturbationSet)
    }

    @Test("concrete k-bit rounding never exceeds the matching perturbation set", arguments: [2, 4, 6])
    func concreteBelowSet(_ bits: Int) throws {
        for seed in UInt64(31)...33 {
            let network = TestNetworks.random(sizes: [2, 3, 1], hidden: .relu, output: .sigmoid, seed: seed)
            let input = [Rational(1, 5), Rational(-3, 5)]
            for rounding in Rounding.allCases {
                let scheme = try FixedPoint(fractionalBits: bits, rounding: rounding)
                let rounded = try scheme.apply(to: network)
                #expect(scheme.perturbationSet.firstViolation(of: rounded.exactLayers, around: network) == nil)
                for metric in [Metric.logit, .probability] {
                    let concrete = try LocalRobustness.check(LocalQuery(network: network, compression: .concrete(rounded), input: input, metric: metric))
                    let set = try LocalRobustness.check(LocalQuery(network: network, compression: .perturbation(scheme.perturbationSet), input: input, metric: metric))
                    #expect(!(set.deviation.upper < concrete.deviation.lower))
                }
            }
        }
    }

    @Test("flip: a witness that flips is replayed; far from the boundary the class is proved stable")
    func flip() throws {
        // z = h1 + 2·h2 at x = 1/20: h1 = 1/20, h2 = 9/20, z = 19/20 (class 1).
        let network = TestNetworks.handWorked()
        let wide = PerturbationSet.absolute(radius: 0.5)
        let near = try LocalRobustness.check(LocalQuery(network: network, compression: .perturbation(wide), input: [Rational(1, 20)], metric: .flip))
        #expect(near.verdict == .notRobust)
        let w = try #require(near.witness)
        #expect(!w.compressedLogits[0].isPositive)  // class 0 now
        try expectReplays(near, network: network, set: wide)
        let far = try LocalRobustness.check(LocalQuery(network: network, compression: .perturbation(set), input: [Rational(3)], metric: .flip))
        #expect(far.verdict == .robust)
        #expect(far.deviation.upper.isNegative)
    }

    @Test("flip reads raw logits as the classifier they come from: the same answer as with softmax (3 outputs) or sigmoid (1)",
          arguments: [3, 1])
    func flipOnLogits(_ outputs: Int) throws {
        let logits = TestNetworks.random(sizes: [2, 4, outputs], hidden: .relu, output: .logits, seed: 81)
        let classifier = try Network(inputSize: 2, layers: logits.layers, output: outputs == 1 ? .sigmoid : .softmax)
        for x in [[Rational(1, 2), Rational(-1, 4)], [Rational(-3, 4), Rational(1, 8)]] {
            let set = PerturbationSet.absolute(radius: 0.2)
            let raw = try LocalRobustness.check(LocalQuery(network: logits, compression: .perturbation(set), input: x, metric: .flip))
            let read = try LocalRobustness.check(LocalQuery(network: classifier, compression: .perturbation(set), input: x, metric: .flip))
            #expect(raw.verdict == read.verdict && raw.deviation == read.deviation && raw.originalClass == read.originalClass)
            #expect(raw.originalClass != nil)
        }
    }

    @Test("softmax probability: bounds enclose every sampled deviation")
    func softmax() throws {
        let network = TestNetworks.random(sizes: [2, 4, 3], hidden: .relu, output: .softmax, seed: 41)
        let x = [0.3, -0.7]
        let delta = 0.03
        let result = try LocalRobustness.check(LocalQuery(network: network, compression: .perturbation(.absolute(radius: delta)),
                                                          input: x.map { Rational(exactly: $0)! }, metric: .probability))
        func softmax(_ z: [Double], _ c: Int) -> Double { exp(z[c]) / z.map(exp).reduce(0, +) }
        let z0 = network.logits(at: x)
        let c = z0.indices.max { z0[$0] < z0[$1] }!
        var rng = SeededGenerator(seed: 42)
        var sampled = 0.0
        let theta = TestNetworks.parameters(network)
        for _ in 0..<4000 {
            let p = theta.map { $0 + (Bool.random(using: &rng) ? delta : -delta) }
            sampled = max(sampled, abs(softmax(TestNetworks.logits(network, p, x), c) - softmax(z0, c)))
        }
        #expect(sampled <= result.deviation.upper.approximateDouble + 1e-9)
        #expect(result.deviation.lower.approximateDouble <= result.deviation.upper.approximateDouble)
        #expect(result.deviation.lower.isPositive)
    }

    @Test("a time limit gives unknown or a proved answer, and bounds stay sound")
    func timeLimit() throws {
        let network = TestNetworks.random(sizes: [2, 8, 8, 1], hidden: .relu, output: .sigmoid, seed: 51)
        let input = [Rational(1, 2), Rational(1, 2)]
        let full = try LocalRobustness.check(LocalQuery(network: network, compression: .perturbation(.absolute(radius: 0.05)), input: input, metric: .logit))
        let limited = try LocalRobustness.check(LocalQuery(network: network, compression: .perturbation(.absolute(radius: 0.05)), input: input,
                                                           metric: .logit, tau: full.deviation.upper, timeLimit: 0.000_001))
        #expect(limited.verdict == .unknown || limited.verdict == .robust)
        #expect(!(limited.deviation.upper < full.deviation.upper))
        #expect(!(full.deviation.lower < limited.deviation.lower))
    }
}

/// Every witness lies in Θ_Δ and replays to the logits and deviation it claims.
func expectReplays(_ result: LocalResult, network: Network, set: PerturbationSet) throws {
    guard let witness = result.witness else { return }
    let parameters = try #require(witness.parameters)
    #expect(set.firstViolation(of: parameters, around: network) == nil)
    let replayed = Network.exactLogits(layers: parameters, normalizedInput: network.normalizedInput(witness.input))
    #expect(replayed == witness.compressedLogits)
    #expect(network.exactLogits(at: witness.input) == witness.originalLogits)
    #expect(witness.deviation.lower == result.deviation.lower || result.deviation.lower.isZero)
}
