import Bounds
import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import TestSupport
import Testing
import Z3Kit
@testable import Robustness

/// The ReLU branch and bound over ``PairLP`` that closes boxes of concrete
/// pairs with many inputs, against Z3's exact answer on the same box and
/// against sampling.
@Suite("Pair branch and bound")
struct PairBranchAndBoundTests {
    /// A random ReLU network with `inputs` inputs and its 4-bit fixed-point copy, with a box around a random point.
    static func pair(seed: UInt64, inputs: Int, hidden: [Int], radius: Double) throws
        -> (f: Network, g: Network, box: [Interval], region: [(lower: Rational, upper: Rational)]) {
        let f = TestNetworks.random(sizes: [inputs] + hidden + [2], hidden: .relu, output: .logits, seed: seed)
        let g = try FixedPoint(fractionalBits: 4).apply(to: f)
        var rng = SeededGenerator(seed: seed + 100)
        var centre = (0..<inputs).map { _ in Double.random(in: -1...1, using: &rng) }
        centre[0] = radius / 4  // the first input takes either sign in the box
        let box = centre.map { Interval($0 - radius, $0 + radius) }
        let region = box.map { (Rational(exactly: $0.lower)!, Rational(exactly: $0.upper)!) }
        return (f, g, box, region)
    }

    static func solver(_ f: Network, _ g: Network, _ region: [(lower: Rational, upper: Rational)]) -> BoxSolver {
        BoxSolver(original: f, compared: .concrete(g), metric: BoxMetric(metric: .logit, output: .logits), region: region)
    }

    @Test("each box's range of max |z' − z| agrees with Z3's exact answer: a concrete copy, and a perturbation set over a box of either sign",
          arguments: [(UInt64(1), false), (2, false), (3, false), (4, false), (5, true), (6, true), (7, true), (8, true)])
    func agreesWithZ3(seed: UInt64, perturbation: Bool) throws {
        let (f, g, box, region) = try Self.pair(seed: seed, inputs: perturbation ? 2 : 6, hidden: perturbation ? [4, 4] : [5, 5],
                                                radius: perturbation ? 0.1 : 0.2)
        let compared: ComparedParameters = perturbation
            ? .perturbation(PerturbationRadii(network: f, set: try FixedPoint(fractionalBits: 4).perturbationSet)) : .concrete(g)
        let bounds = DifferentialAnalysis(original: f, compared: compared).bounds(over: box)
        let solver = BoxSolver(original: f, compared: compared, metric: BoxMetric(metric: .logit, output: .logits), region: region)
        var statistics = GlobalStatistics()
        let tolerance = Rational(1, 1_000_000)
        let lp = try #require(try solver.branchAndBound(box, bounds: bounds, deadline: nil, tolerance: tolerance, enough: nil,
                                                         statistics: &statistics))
        let exact = try #require(try solver.solve(box, bounds: bounds, z3: try Context(), deadline: nil,
                                                  tolerance: Rational(1, 1 << 40), statistics: &statistics))
        // Both bounds are proved and both witnesses replayed: each upper end is at least
        // the other's witness, and the LP's is within its tolerance of Z3's.
        #expect(lp.upper >= (exact.candidate?.value ?? 0) - 1e-12)
        #expect(exact.upper >= (lp.candidate?.value ?? 0) - 1e-12)
        #expect(lp.upper <= exact.upper + 2e-6, "LP \(lp.upper) against Z3 \(exact.upper)")
        #expect(statistics.lpNodes > 0)
        // A perturbation set's witness names parameters inside Θ_Δ.
        if case .perturbation(let radii) = compared, case .solved(_, let parameters?)? = lp.candidate?.origin {
            try radii.set.requireMember(parameters, around: f)
        }
    }

    @Test("the certified upper end is above every sampled deviation, and the witness is replayed exactly",
          arguments: [UInt64(11), 12, 13])
    func aboveSamples(seed: UInt64) throws {
        let (f, g, box, region) = try Self.pair(seed: seed, inputs: 10, hidden: [12], radius: 0.25)
        let bounds = DifferentialAnalysis(original: f, compared: .concrete(g)).bounds(over: box)
        var statistics = GlobalStatistics()
        let result = try #require(try Self.solver(f, g, region).branchAndBound(
            box, bounds: bounds, deadline: nil, tolerance: Rational(1, 1_000_000), enough: nil, statistics: &statistics))
        var rng = SeededGenerator(seed: seed)
        var sampled = 0.0
        for _ in 0..<20_000 {
            // binary64 evaluation, with 1e-12 for its own rounding (the deviations are about 0.1).
            let x = box.map { Double.random(in: $0.lower...$0.upper, using: &rng) }
            let d = zip(f.logits(at: x), g.logits(at: x)).map { abs($1 - $0) }.max()!
            sampled = max(sampled, d - 1e-12)
        }
        #expect(sampled <= result.upper, "a sample reaches \(sampled) above the certified \(result.upper)")
        let witness = try #require(result.candidate)
        guard case .solved(let point, _) = witness.origin else { Issue.record("the witness was not replayed"); return }
        let replayed = zip(f.exactLogits(at: point), g.exactLogits(at: point)).map { ($1 - $0).magnitude }.max()!
        #expect(abs(replayed.approximateDouble - witness.value) <= 1e-12)
        #expect(result.upper - witness.value <= 1e-6 + 1e-12)
    }

    @Test("a 30-input zoo network against its 8-bit copy over a ±0.05 box is pinned to 1e-4 by the branch and bound")
    func breastCancer() async throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Examples/zoo/breast-cancer-relu-16-s0.json").standardized.path
        let f = try NetworkFile.load(file)
        let g = try FixedPoint(fractionalBits: 8).apply(to: f)
        let centre = (0..<30).map { Rational($0 % 7 + 2, 10) }
        let region = InputRegion(lower: centre.map { $0 - Rational(1, 20) }, upper: centre.map { $0 + Rational(1, 20) })
        let result = try await GlobalRobustness.check(GlobalQuery(network: f, compression: .concrete(g), region: region,
                                                                  metric: .logit, tolerance: Rational(1, 10_000), timeLimit: 60))
        #expect(result.reason == nil, "\(result.reason ?? "")")
        #expect(result.deviation.upper - result.deviation.lower <= Rational(1, 10_000))
        #expect(result.statistics.lpNodes > 0)
        let witness = try #require(result.witness)
        #expect(zip(f.exactLogits(at: witness.input), g.exactLogits(at: witness.input)).map { ($1 - $0).magnitude }.max()!
                == result.deviation.lower)
    }
}
