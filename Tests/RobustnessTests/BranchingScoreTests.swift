import Bounds
import LPBounds
import Testing
@testable import Robustness

/// The branch and bound's branching rule (``PhaseSplitLP/branchingScores(at:)``)
/// on a linear program small enough to solve by hand.
@Suite("ReLU branching scores")
struct BranchingScoreTests {
    /// Two unstable ReLUs that do not interact: `h1 = relu(u1)` with u1 ∈ [−1, 1] and
    /// `h2 = relu(u2)` with u2 ∈ [−2, 2], each cut by a row `h + u ≤ U/2`,
    /// maximising `h1 + ε·h2`.
    final class TwoReLUs: PhaseSplitLP {
        let unstable: [UnstableReLU]
        let solver: CertifiedLP
        static let epsilon = 1.0 / 1024

        init() throws {
            var lp = LinearProgram()
            var unstable: [UnstableReLU] = []
            for (k, range) in [1.0, 2.0].enumerated() {
                let u = try lp.addVariable(lower: -range, upper: range)
                let relu = try lp.addTriangleReLU(layer: 0, neuron: k, pre: u, lower: -range, upper: range)
                try lp.addRow([(relu.post, Interval(1, 1)), (u, Interval(1, 1))], .atMost, range / 2)
                lp.objective[relu.post] = k == 0 ? 1 : Self.epsilon
                unstable.append(relu)
            }
            self.unstable = unstable
            self.solver = try CertifiedLP(lp)
        }
    }

    /// By hand, for the ReLU on [−U, U]: the chord `h ≤ (u + U)/2` and the row
    /// `h + u ≤ U/2` meet at u = 0, h = U/2, where relu(0) = 0, so the violation
    /// is U/2. The objective's weight w on h splits into duals λ = 2w/3 on the
    /// chord and w/3 on the row, and the chord's intercept s·(−L) = U/2 buys
    /// λ·U/2 = w·U/3 of the bound: 1/3 for the first ReLU, 2ε/3 for the second.
    @Test("a ReLU scores what its chord's intercept buys of the bound, not how far its point is off")
    func scoresByTheChordsShare() throws {
        let lp = try TwoReLUs()
        try lp.apply([:])
        guard case .bounded(let upper, let point) = lp.solver.maximize() else {
            Issue.record("the LP gave no bound"); return
        }
        #expect(abs(upper - (0.5 + TwoReLUs.epsilon)) < 1e-9)
        let violations = lp.violations(at: point)
        #expect(abs(violations[0] - 0.5) < 1e-9 && abs(violations[1] - 1) < 1e-9)
        let scores = lp.branchingScores(at: point)
        #expect(abs(scores[0] - 1.0 / 3) < 1e-6, "score \(scores[0]), by hand 1/3")
        #expect(abs(scores[1] - 2 * TwoReLUs.epsilon / 3) < 1e-6, "score \(scores[1]), by hand 2ε/3")
        // The more violated ReLU barely moves the objective: the rule splits the first one.
        #expect(scores[0] > scores[1])
    }

    @Test("a ReLU whose LP point lies on relu's graph scores 0: splitting it cannot move this optimum")
    func agreeingPointScoresZero() throws {
        let lp = try TwoReLUs()
        // Fixing the first ReLU active makes its point exact (u1 = h1 = 1/4).
        try lp.apply([0: .active])
        guard case .bounded(_, let point) = lp.solver.maximize() else {
            Issue.record("the LP gave no bound"); return
        }
        let scores = lp.branchingScores(at: point)
        #expect(scores[0] == 0)
        #expect(scores[1] > 0)
    }
}
