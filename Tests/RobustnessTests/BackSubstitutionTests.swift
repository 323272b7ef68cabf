import Bounds
import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import TestSupport
import Testing
@testable import Robustness

/// Back-substitution against independent answers: every vertex of Θ_Δ
/// enumerated (the perturbed logits are multilinear in the parameters, so
/// with every hidden sign fixed the maximum is at a vertex), and Z3's exact
/// optimum through the linear encoding.
@Suite("Back-substitution at one input")
struct BackSubstitutionTests {
    /// A small random network (weights in [−1, 1]).
    static func tiny(seed: UInt64, hidden: Activation, sizes: [Int]) -> Network {
        TestNetworks.random(sizes: sizes, hidden: hidden, output: .logits, seed: seed)
    }

    /// The chain, or nil when some sign is not fixed at x.
    static func chain(_ network: Network, _ set: PerturbationSet, _ x: [Rational]) -> BackSubstitution? {
        let radii = PerturbationRadii(network: network, set: set)
        return BackSubstitution(layers: network.exactLayers, radii: radii, input: x,
                           bounds: perturbedPreActivationBounds(network: network, radii: radii, input: x))
    }

    @Test("the maximum equals the largest objective over every vertex of Θ_Δ",
          arguments: [(UInt64(1), Activation.relu), (2, .relu), (3, .identity), (4, .identity), (5, .relu)])
    func vertices(_ seed: UInt64, _ hidden: Activation) throws {
        // 9 parameters: 512 vertices.
        let network = Self.tiny(seed: seed, hidden: hidden, sizes: [2, 2, 1])
        let set = PerturbationSet.absolute(radius: 1.0 / 64)
        var rng = SeededGenerator(seed: seed &+ 9)
        var checked = 0
        for _ in 0..<40 where checked < 6 {
            let x = (0..<2).map { _ in Rational(exactly: Double.random(in: -1...1, using: &rng))! }
            guard let chain = Self.chain(network, set, x), chain.isExact else { continue }
            checked += 1
            let theta = TestNetworks.parameters(network).map { Rational(exactly: $0)! }
            let delta = Rational(1, 64)
            for c in [[Rational(1)], [Rational(-3, 2)]] {
                let (value, parameters) = chain.maximize(c)
                var best: Rational?
                for mask in 0..<(1 << theta.count) {
                    let corner = theta.indices.map { mask & (1 << $0) != 0 ? theta[$0] + delta : theta[$0] - delta }
                    let z = Network.exactLogits(layers: TestNetworks.exactLayers(network, corner), normalizedInput: x)
                    let v = zip(c, z).map { $0 * $1 }.sum()
                    if best.map({ $0 < v }) ?? true { best = v }
                }
                #expect(value == best, "c = \(c) at \(x)")
                let z = Network.exactLogits(layers: parameters, normalizedInput: x)
                #expect(zip(c, z).map { $0 * $1 }.sum() == value)
                #expect(set.firstViolation(of: parameters, around: network) == nil)
            }
        }
        #expect(checked >= 5, "too few inputs with every sign fixed")
    }

    @Test("the local query's exact answer equals Z3's exact optimum (linear encoding, no chain)",
          arguments: [UInt64(21), 22, 23])
    func agreesWithZ3(_ seed: UInt64) throws {
        let network = TestNetworks.random(sizes: [2, 6, 5, 1], hidden: .relu, output: .sigmoid, seed: seed)
        let set = PerturbationSet.relative(unitRoundoff: 0x1p-11, floor: 0x1p-24)
        var rng = SeededGenerator(seed: seed)
        var compared = 0
        for _ in 0..<12 {
            let x = (0..<2).map { _ in Rational(exactly: Double.random(in: -1...1, using: &rng))! }
            guard let chain = Self.chain(network, set, x), chain.isExact else { continue }
            compared += 1
            let radii = PerturbationRadii(network: network, set: set)
            let maximizer = try Maximizer(network: network, set: set, radii: radii,
                                          bounds: perturbedPreActivationBounds(network: network, radii: radii, input: x),
                                          originalLayers: network.exactLayers, normalizedInput: x, encodingKind: .linear,
                                          tolerance: Rational(1, 1_000_000_000_000), deadline: nil)
            for c in [[Rational(1)], [Rational(-1)]] {
                let z3 = try maximizer.maximize(c)
                let exact = chain.maximize(c).upper
                #expect(z3.lower <= exact && exact <= z3.upper, "Z3 [\(z3.lower), \(z3.upper)], chain \(exact)")
            }
            let result = try LocalRobustness.check(LocalQuery(network: network, compression: .perturbation(set), input: x,
                                                              metric: .logit))
            #expect(result.statistics.backSubstitutions == 2 && result.deviation.lower == result.deviation.upper)
        }
        #expect(compared >= 3)
    }

    @Test("with unstable neurons the relaxed bound is above every vertex and sample of Θ_Δ and above Z3's maximum",
          arguments: [(UInt64(41), Activation.relu), (42, .relu), (43, .identity)])
    func relaxedBoundIsSound(_ seed: UInt64, _ hidden: Activation) throws {
        let network = TestNetworks.random(sizes: [2, 6, 6, 1], hidden: hidden, output: .logits, seed: seed)
        let set = PerturbationSet.absolute(radius: 1.0 / 16)
        let delta = Rational(1, 16)
        let theta = TestNetworks.parameters(network).map { Rational(exactly: $0)! }
        var rng = SeededGenerator(seed: seed)
        var relaxed = 0
        for _ in 0..<10 {
            let x = (0..<2).map { _ in Rational(exactly: Double.random(in: -1...1, using: &rng))! }
            guard let substitution = Self.chain(network, set, x), !substitution.isExact else { continue }
            relaxed += 1
            for c in [[Rational(1)], [Rational(-1)]] {
                let (upper, parameters) = substitution.maximize(c)
                let witness = Network.exactLogits(layers: parameters, normalizedInput: x)[0] * c[0]
                #expect(witness <= upper)
                for _ in 0..<150 {
                    let vertex = Bool.random(using: &rng)
                    let member = theta.map { t -> Rational in
                        if vertex { return Bool.random(using: &rng) ? t + delta : t - delta }
                        return t + delta * Rational(Int.random(in: -64...64, using: &rng), 64)
                    }
                    let z = Network.exactLogits(layers: TestNetworks.exactLayers(network, member), normalizedInput: x)[0]
                    #expect(z * c[0] <= upper, "a member of Θ_Δ escapes the bound")
                }
                let radii = PerturbationRadii(network: network, set: set)
                let maximizer = try Maximizer(network: network, set: set, radii: radii,
                                              bounds: perturbedPreActivationBounds(network: network, radii: radii, input: x),
                                              originalLayers: network.exactLayers, normalizedInput: x, encodingKind: .linear,
                                              tolerance: Rational(1, 1_000_000), deadline: Date().addingTimeInterval(20))
                let z3 = try maximizer.maximize(c)
                #expect(z3.lower <= upper, "Z3 reached \(z3.lower) above the bound \(upper)")
            }
        }
        #expect(relaxed >= 2, "too few inputs with an unstable neuron")
    }
}
