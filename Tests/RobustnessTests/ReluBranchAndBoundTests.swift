import Bounds
import Compression
import ExactArithmetic
import NeuralNetwork
import TestSupport
import Foundation
import Testing
@testable import Robustness

/// The ReLU branch and bound with certified LPs (``ReluBranchAndBound``),
/// checked against Z3's exact nonlinear encoding and against exact
/// evaluation of sampled members of Θ_Δ, with zero slack.
@Suite("ReLU branch and bound")
struct ReluBranchAndBoundTests {
    /// Radii large enough to leave ReLUs unstable, so that the branch and bound runs.
    static let set = PerturbationSet.absolute(radius: 0.125)

    /// Members of Θ_Δ (radius 1/8) as exact dyadic rationals: vertices on even
    /// trials, interior points on odd ones.
    static func sampledMembers(of network: Network, seed: UInt64, count: Int) -> [[ExactLayer]] {
        let theta = TestNetworks.parameters(network)
        var rng = SeededGenerator(seed: seed)
        let radius = Rational(1, 8)
        return (0..<count).map { trial in
            let flat = theta.map { t -> Rational in
                let step = trial % 2 == 0 ? (Bool.random(using: &rng) ? radius : -radius)
                    : radius * Rational(Int.random(in: -64...64, using: &rng), 64)
                return Rational(exactly: t)! + step
            }
            return TestNetworks.exactLayers(network, flat)
        }
    }

    @Test("agrees with Z3's direct (QF_NRA) encoding on small networks with unstable ReLUs",
          arguments: [UInt64(42), 43, 46, 48])
    func agreesWithZ3(_ seed: UInt64) throws {
        let network = TestNetworks.random(sizes: [2, 3, 2, 1], hidden: .relu, output: .logits, seed: seed)
        let input = [Rational(1, 2), Rational(-3, 8)]
        let tolerance = Rational(1, 100_000)
        let query = { (encoding: Encoding) in
            LocalQuery(network: network, compression: .perturbation(Self.set), input: input, metric: .logit,
                       tolerance: tolerance, encoding: encoding)
        }
        let lp = try LocalRobustness.check(query(.linear))
        let z3 = try LocalRobustness.check(query(.nonlinear))
        #expect(lp.statistics.lpNodes > 0, "the branch and bound did not run; the test checks nothing new")
        #expect(lp.reason == nil && z3.reason == nil)
        // Both intervals are certified: they overlap, and both are narrow.
        #expect(!(lp.deviation.upper < z3.deviation.lower))
        #expect(!(z3.deviation.upper < lp.deviation.lower))
        #expect(lp.deviation.upper - lp.deviation.lower <= tolerance)
        try expectReplays(lp, network: network, set: Self.set)
    }

    @Test("never below the exact value of sampled members of Θ_Δ (zero slack); the witness replays",
          arguments: [UInt64(51), 52, 53])
    func neverBelowSampledMembers(_ seed: UInt64) throws {
        let network = TestNetworks.random(sizes: [3, 8, 8, 2], hidden: .relu, output: .logits, seed: seed)
        let input = [Rational(1, 4), Rational(-1, 2), Rational(3, 4)]
        let result = try LocalRobustness.check(LocalQuery(network: network, compression: .perturbation(Self.set),
                                                          input: input, metric: .logit, tolerance: Rational(1, 1_000_000)))
        #expect(result.statistics.lpNodes > 0, "the branch and bound did not run; the test checks nothing new")
        #expect(result.reason == nil)
        try expectReplays(result, network: network, set: Self.set)
        let x = network.normalizedInput(input)
        let original = network.exactLogits(at: input)
        for members in Self.sampledMembers(of: network, seed: seed, count: 300) {
            let logits = Network.exactLogits(layers: members, normalizedInput: x)
            for (a, b) in zip(logits, original) {
                #expect(!(result.deviation.upper < (a - b).magnitude))
            }
        }
    }

    /// A random 3-8-8-2 ReLU network at a fixed input with its perturbation LP.
    static func problem(seed: UInt64) throws -> (Network, [Rational], PerturbationRadii, [[Interval]], [ExactLayer], PerturbationLP) {
        let network = TestNetworks.random(sizes: [3, 8, 8, 2], hidden: .relu, output: .logits, seed: seed)
        let x = network.normalizedInput([Rational(1, 4), Rational(-1, 2), Rational(3, 4)])
        let radii = PerturbationRadii(network: network, set: Self.set)
        let bounds = PerturbedBackSubstitution.preActivationBounds(network: network, radii: radii, input: x)
        let layers = network.exactLayers
        let encoding = try #require(try PerturbationLP(layers: layers, radii: radii, input: x, bounds: bounds))
        return (network, x, radii, bounds, layers, encoding)
    }

    @Test("a fully split node is exact: its certified bound is the replayed value of its own optimum, up to 1e-9",
          arguments: [UInt64(61), 62, 63])
    func leafIsExact(_ seed: UInt64) throws {
        let (network, x, _, _, layers, encoding) = try Self.problem(seed: seed)
        #expect(!encoding.unstable.isEmpty, "no unstable ReLU; the test checks nothing")
        // Fix every unstable ReLU as the original network has it at x: a non-empty region.
        var original: [[Rational]] = [], h = x
        for layer in layers {
            original.append(layer.preActivations(h))
            h = layer.apply(h)
        }
        var phases: [Int: ReluPhase] = [:]
        for (i, neuron) in encoding.unstable.enumerated() {
            phases[i] = original[neuron.layer][neuron.neuron].isPositive ? .active : .inactive
        }
        try encoding.apply(phases)
        for objective in [[Rational.one, .zero], [.zero, -Rational.one]] {
            #expect(try encoding.setObjective(objective))
            guard case .bounded(let upper, let point) = encoding.solver.maximize() else {
                Issue.record("the leaf LP gave no bound"); continue
            }
            let (member, _) = encoding.witness(at: point, objective: objective)
            let parameters = member()
            #expect(Self.set.firstViolation(of: parameters, around: network) == nil)
            let logits = Network.exactLogits(layers: parameters, normalizedInput: x)
            let value = zip(objective, logits).map { $0 * $1 }.sum()
            let bound = try #require(Rational(exactly: upper))
            #expect(!(bound < value), "the certified bound \(upper) is below a member's value \(value.approximateDouble)")
            #expect(bound - value <= Rational(1, 1_000_000_000), "the leaf bound \(upper) is not reached: \(value.approximateDouble)")
        }
    }

    @Test("a search stopped after each split and resumed from its frontier ends where one uninterrupted search ends",
          arguments: [UInt64(81), 82, 83])
    func resumesFromItsFrontier(_ seed: UInt64) throws {
        let (_, x, radii, bounds, layers, encoding) = try Self.problem(seed: seed)
        let objective = [Rational.one, .zero]
        #expect(try encoding.setObjective(objective))
        var statistics = QueryStatistics()
        let start = try #require(BackSubstitution(layers: layers, radii: radii, input: x, bounds: bounds))
            .bounds(objective, statistics: &statistics)
        let tolerance = Rational(1, 1_000_000)
        var search = ReluBranchAndBound(encoding: encoding, objective: objective, input: x, tolerance: tolerance)
        let whole = try search.run(lower: start.lower, witness: start.best, upper: start.upper, deadline: nil)
        #expect(whole.reason == nil && whole.reluSplits > 1, "the search needs no splits; the test checks nothing")
        // Runs of one split each, each resuming where the last one stopped.
        search.splitLimit = 1
        var frontier: ReluBranchAndBound<PerturbationLP, ReplayedWitness>.Frontier?
        var current = start
        var runs = 0
        repeat {
            current = try search.run(from: current, deadline: nil, frontier: &frontier, statistics: &statistics)
            runs += 1
        } while current.reason != nil && runs < 10_000
        #expect(runs > 1, "the first run finished; the test checks nothing")
        #expect(statistics.reluSplits <= runs)
        #expect(current.reason == nil)
        #expect(current.upper - current.lower <= tolerance)
        #expect(!(current.upper < whole.lower) && !(whole.upper < current.lower))
    }
}
