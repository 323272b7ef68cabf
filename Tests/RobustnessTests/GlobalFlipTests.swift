import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import TestSupport
import Testing
@testable import Robustness

/// `global --metric flip` (does any input of the box change class?) against
/// hand-worked lines and exact checks on dense grids of 2-input networks.
@Suite("Global flip over input boxes", .serialized)
struct GlobalFlipTests {
    /// The one-layer network z = w·x + b with one sigmoid output.
    static func line(_ w: Double, _ b: Double) throws -> Network {
        try Network(inputSize: 1, layers: [DenseLayer(weights: [[w]], biases: [b], activation: .identity)], output: .sigmoid)
    }

    static func check(_ f: Network, _ g: Network, _ lower: [Rational], _ upper: [Rational],
                      compression: CompressionModel? = nil) async throws -> GlobalResult {
        try await GlobalRobustness.check(GlobalQuery(network: f, compression: compression ?? .concrete(g),
                                                     region: InputRegion(lower: lower, upper: upper), metric: .flip,
                                                     timeLimit: 60, jobs: 1))
    }

    /// The class a network gives at a raw input, exactly (one output: class 1 iff z > 0).
    static func exactClass(_ network: Network, _ x: [Rational]) -> Int {
        let z = network.exactLogits(at: x)
        if z.count == 1 { return z[0].isPositive ? 1 : 0 }
        var best = 0
        for j in z.indices where z[best] < z[j] { best = j }
        return best
    }

    /// Whether the class of z is within 1e-9 of changing.
    static func nearTie(_ z: [Double]) -> Bool {
        if z.count == 1 { return abs(z[0]) < 1e-9 }
        let sorted = z.sorted(by: >)
        return sorted[0] - sorted[1] < 1e-9
    }

    @Test("hand-worked lines: z = x − 1/2 against x − 3/5 flips on (1/2, 3/5] only; against 2x − 1 (the same boundary, a tie at 1/2) never")
    func lines() async throws {
        let f = try Self.line(1, -0.5), g = try Self.line(1, -0.6), h = try Self.line(2, -1)
        let flips = try await Self.check(f, g, [.zero], [.one])
        #expect(flips.verdict == .notRobust)
        let x = try #require(flips.witness?.input.first)
        #expect(Rational(1, 2) < x && x <= Rational(3, 5), "witness \(x.approximateDouble)")
        #expect(Self.exactClass(f, [x]) != Self.exactClass(g, [x]))
        // Away from both boundaries, and on [0, 1/2] where f's z reaches 0 only at its end (class 0 there).
        #expect(try await Self.check(f, g, [Rational(7, 10)], [.one]).verdict == .robust)
        #expect(try await Self.check(f, g, [.zero], [Rational(1, 2)]).verdict == .robust)
        // Inside the band (1/2, 3/5] every input flips.
        #expect(try await Self.check(f, g, [Rational(11, 20)], [Rational(3, 5)]).verdict == .notRobust)
        // The same decision boundary: the margin reaches 0 at x = 1/2, where neither changes class.
        let same = try await Self.check(f, h, [.zero], [.one])
        #expect(same.verdict == .robust, "\(same.reason ?? "")")
    }

    @Test("2-input networks against their roundings: robust only where no grid point changes class (exactly), and every witness changes class",
          arguments: [(UInt64(1), OutputKind.sigmoid), (2, .sigmoid), (3, .softmax), (4, .softmax)])
    func againstGrid(_ seed: UInt64, _ output: OutputKind) async throws {
        let f = TestNetworks.random(sizes: [2, 6, output == .sigmoid ? 1 : 3], hidden: .relu, output: output, seed: seed)
        let g = try FixedPoint(fractionalBits: 3).apply(to: f)
        var decided = 0
        for (lo, hi) in [((-1.0, -1.0), (1.0, 1.0)), ((0.25, -0.5), (0.75, 0.0)), ((-1.0, 0.5), (-0.5, 1.0)), ((0.5, 0.5), (1.0, 1.0))] {
            let lower = [Rational(exactly: lo.0)!, Rational(exactly: lo.1)!], upper = [Rational(exactly: hi.0)!, Rational(exactly: hi.1)!]
            let result = try await Self.check(f, g, lower, upper)
            // A 41 × 41 grid of dyadic points of the box, classified in binary64 and, where
            // the classes differ or come within 1e-9 of a tie, exactly.
            var gridFlips = false
            for i in 0...40 {
                for j in 0...40 {
                    let x = [lower[0] + (upper[0] - lower[0]) * Rational(i, 40), lower[1] + (upper[1] - lower[1]) * Rational(j, 40)]
                    let approximate = x.map(\.approximateDouble)
                    let (a, b) = (f.logits(at: approximate), g.logits(at: approximate))
                    if Self.nearTie(a) || Self.nearTie(b) || Network.predictedClass(logits: a) != Network.predictedClass(logits: b) {
                        if Self.exactClass(f, x) != Self.exactClass(g, x) { gridFlips = true }
                    }
                }
            }
            if result.verdict == .robust { #expect(!gridFlips, "seed \(seed), box \(lo)…\(hi): robust, but a grid point changes class") }
            if gridFlips { #expect(result.verdict == .notRobust, "seed \(seed), box \(lo)…\(hi): a grid point flips, answer \(String(describing: result.verdict))") }
            if result.verdict == .notRobust {
                let x = try #require(result.witness?.input)
                #expect(Self.exactClass(f, x) != Self.exactClass(g, x) && zip(x, zip(lower, upper)).allSatisfy { $1.0 <= $0 && $0 <= $1.1 })
            }
            if result.verdict != .unknown { decided += 1 }
        }
        #expect(decided == 4, "seed \(seed): every box should be decided within the time limit")
    }

    @Test("a perturbation set that is robust keeps its concrete rounding robust on a grid; flip takes no τ")
    func perturbationSet() async throws {
        let f = TestNetworks.random(sizes: [2, 5, 1], hidden: .relu, output: .sigmoid, seed: 9)
        let fixed = try FixedPoint(fractionalBits: 8)
        for (lo, hi) in [(-1.0, 1.0), (0.5, 1.0), (-1.0, -0.5)] {
            let lower = [Rational(exactly: lo)!, Rational(exactly: lo)!], upper = [Rational(exactly: hi)!, Rational(exactly: hi)!]
            let result = try await Self.check(f, f, lower, upper, compression: .perturbation(fixed.perturbationSet))
            if result.verdict == .robust {
                let rounded = try fixed.apply(to: f)
                for i in 0...30 {
                    for j in 0...30 {
                        let x = [lower[0] + (upper[0] - lower[0]) * Rational(i, 30), lower[1] + (upper[1] - lower[1]) * Rational(j, 30)]
                        #expect(Self.exactClass(f, x) == Self.exactClass(rounded, x))
                    }
                }
            }
            if result.verdict == .notRobust { #expect(result.witness?.parameters != nil) }
        }
        await #expect(throws: QueryError.self) {
            _ = try await GlobalRobustness.check(GlobalQuery(network: f, compression: .concrete(f), region: InputRegion(lower: [.zero, .zero], upper: [.one, .one]),
                                                             metric: .flip, tau: Rational(1, 10)))
        }
    }
}
