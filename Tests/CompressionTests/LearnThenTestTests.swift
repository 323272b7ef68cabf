import ExactArithmetic
import Foundation
import NeuralNetwork
import TestSupport
import Testing
@testable import Compression

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Learn-then-Test: p-values against scipy, fixed-sequence testing by hand,
/// and the guarantee of confident pruning over random calibration splits.
@Suite("Learn-then-Test and confident pruning")
struct LearnThenTestTests {
    @Test("binomial tails and Hoeffding–Bentkus p-values match scipy (fixtures from scripts/make-ltt-fixtures.py)")
    func matchesScipy() throws {
        let text = try String(contentsOf: root.appendingPathComponent("Tests/CompressionTests/Fixtures/binomial-tails.csv"), encoding: .utf8)
        var rows = 0
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: ",").map(String.init)
            let (n, k) = (try #require(Int(f[0])), try #require(Int(f[1])))
            let alpha = try #require(Rational(parsing: f[2]))
            let (scipyTail, scipyHB) = (try #require(Double(f[3])), try #require(Double(f[4])))
            let tail = LearnThenTest.binomialTail(atMost: k, trials: n, probability: alpha).approximateDouble
            #expect(abs(tail - scipyTail) <= 1e-12 + 1e-9 * scipyTail, "n \(n), k \(k), α \(f[2]): \(tail) against scipy \(scipyTail)")
            let hb = LearnThenTest.pValue(.hoeffdingBentkus, losses: k, of: n, alpha: alpha).value
            #expect(hb >= scipyHB * (1 - 1e-12) && hb <= scipyHB * (1 + 1e-8) + 1e-300, "n \(n), k \(k): HB \(hb) against \(scipyHB)")
            rows += 1
        }
        #expect(rows > 200)
    }

    @Test("tails by hand: Binom(2, 1/2) and the edges")
    func tailsByHand() {
        #expect(LearnThenTest.binomialTail(atMost: 0, trials: 2, probability: Rational(1, 2)) == Rational(1, 4))
        #expect(LearnThenTest.binomialTail(atMost: 1, trials: 2, probability: Rational(1, 2)) == Rational(3, 4))
        #expect(LearnThenTest.binomialTail(atMost: 2, trials: 2, probability: Rational(1, 2)) == .one)
        #expect(LearnThenTest.binomialTail(atMost: -1, trials: 5, probability: Rational(1, 3)) == .zero)
        // P(X ≤ 1) for Binom(3, 1/3) = (8 + 3·4) / 27.
        #expect(LearnThenTest.binomialTail(atMost: 1, trials: 3, probability: Rational(1, 3)) == Rational(20, 27))
    }

    @Test("fixed-sequence testing: all certified, none certified, and a failure ends the walk")
    func fixedSequence() {
        let (alpha, delta) = (Rational(1, 10), Rational(1, 10))
        // 0.9^100 ≈ 2.7e-5 ≤ δ; 0.9^10 ≈ 0.35 > δ.
        #expect(LearnThenTest.fixedSequence(losses: [0, 0, 1], of: 100, alpha: alpha, delta: delta, pValue: .binomial).map(\.certified)
                == [true, true, true])
        #expect(LearnThenTest.fixedSequence(losses: [0, 0], of: 10, alpha: alpha, delta: delta, pValue: .binomial).map(\.certified)
                == [false, false])
        let walk = LearnThenTest.fixedSequence(losses: [0, 50, 0], of: 100, alpha: alpha, delta: delta, pValue: .binomial)
        #expect(walk.map(\.certified) == [true, false, false])
        #expect(walk[1].pValue != nil && walk[2].pValue == nil, "the walk tests no further after its first kept hypothesis")
        // The exact p-value decides at the boundary: P(Binom(22, 1/10) ≤ 0) = 0.9^22 ≈ 0.0985 ≤ 0.1, 0.9^21 ≈ 0.109 > 0.1.
        #expect(LearnThenTest.fixedSequence(losses: [0], of: 22, alpha: alpha, delta: delta, pValue: .binomial)[0].certified)
        #expect(!LearnThenTest.fixedSequence(losses: [0], of: 21, alpha: alpha, delta: delta, pValue: .binomial)[0].certified)
    }

    /// The calibration rows of Examples/zoo/data/moons-calibration.csv.
    static func moons() throws -> (inputs: [[Double]], labels: [Int]) {
        let text = try String(contentsOf: root.appendingPathComponent("Examples/zoo/data/moons-calibration.csv"), encoding: .utf8)
        var inputs: [[Double]] = [], labels: [Int] = []
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",")
            inputs.append([try #require(Double(f[0])), try #require(Double(f[1]))])
            labels.append(try #require(Int(f[2])))
        }
        return (inputs, labels)
    }

    /// The guarantee holds for the true risk with probability ≥ 1 − δ over the calibration
    /// draw; here the held-out half of each split stands in for the truth. With δ = 0.1 at
    /// least 180 of 200 splits must keep the held-out risk ≤ α. The test is deterministic
    /// (seeded splits); LTT is conservative, and on this data all 200 splits pass, so the
    /// margin to the threshold is wide. Were each split an independent success with
    /// probability exactly 0.9, a random seed would fail with probability ≈ 0.43: the test
    /// checks the guarantee's direction, it cannot measure the 0.9 itself.
    @Test("confident pruning on the zoo's moons data: the chosen sparsity keeps the held-out risk ≤ α in ≥ 90 % of 200 random splits",
          arguments: [ConfidentPruning.Loss.disagreement, .error])
    func guaranteeOverSplits(loss: ConfidentPruning.Loss) throws {
        let network = try NetworkFile.load(root.appendingPathComponent("Examples/zoo/moons-relu-16-s0.json").path)
        let (inputs, labels) = try Self.moons()
        let grid = (0...19).map { Double($0) / 20 }
        // The original network errs on about 13 % of these noisy points: the error loss needs a larger α.
        let alpha = loss == .disagreement ? Rational(1, 10) : Rational(1, 5)
        let method = try ConfidentPruning(grid: grid, alpha: alpha, delta: Rational(1, 10), loss: loss)
        // Every point's loss at every sparsity, once.
        let original = inputs.map { Network.predictedClass(logits: network.logits(at: $0)) }
        let reference = loss == .disagreement ? original : labels
        let lost: [[Bool]] = try grid.map { s in
            let pruned = try MagnitudePruning(sparsity: s).apply(to: network).network
            return zip(inputs, reference).map { Network.predictedClass(logits: pruned.logits(at: $0)) != $1 }
        }
        var rng = SeededGenerator(seed: 15)
        var kept = 0, chosenCount = 0
        for split in 0..<200 {
            let order = Array(inputs.indices).shuffled(using: &rng)
            let (calibration, heldOut) = (Array(order.prefix(1000)), Array(order.dropFirst(1000)))
            let losses = lost.map { row in calibration.filter { row[$0] }.count }
            let tests = LearnThenTest.fixedSequence(losses: losses, of: calibration.count, alpha: method.alpha, delta: method.delta,
                                                    pValue: method.pValue)
            if split < 2 {
                // The library call gives the same tests on the same rows.
                let direct = try method.calibrate(network, inputs: calibration.map { inputs[$0] }, labels: calibration.map { labels[$0] })
                #expect(direct.tests == tests)
            }
            guard let chosen = tests.lastIndex(where: \.certified) else { kept += 1; continue }  // nothing chosen: no risk taken
            chosenCount += 1
            let risk = Double(heldOut.filter { lost[chosen][$0] }.count) / Double(heldOut.count)
            if risk <= alpha.approximateDouble { kept += 1 }
        }
        #expect(kept >= 180, "held-out risk ≤ α in \(kept) of 200 splits")
        #expect(chosenCount >= 150, "a sparsity was certified in only \(chosenCount) of 200 splits")
    }
}
