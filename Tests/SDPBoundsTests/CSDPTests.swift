import Testing
@testable import SDPBounds

/// CSDP through its wrapper: a problem solved by hand, and malformed problems
/// that must be rejected before CSDP (which would `exit()`) sees them.
@Suite struct CSDPTests {
    /// `min y1 + y2 s.t. [[y1−1, −2], [−2, y2−3]] ⪰ 0`: (y1−1)(y2−3) ≥ 4 is
    /// tightest at y1 − 1 = y2 − 3 = 2, so the optimum is 8 at (3, 5).
    static let toy = SDPProblem(
        blocks: [.init(.matrix, size: 2)], objective: [1, 1],
        constant: [.init(block: 0, row: 0, column: 0, value: 1), .init(block: 0, row: 0, column: 1, value: 2),
                   .init(block: 0, row: 1, column: 1, value: 3)],
        constraints: [[.init(block: 0, row: 0, column: 0, value: 1)], [.init(block: 0, row: 1, column: 1, value: 1)]])

    @Test func toyProblemHasItsHandWorkedOptimum() throws {
        let solution = try CSDP.solve(Self.toy)
        #expect(solution.status.code == 0)
        #expect(abs(solution.dualObjective - 8) < 1e-6)
        #expect(abs(solution.y[0] - 3) < 1e-5 && abs(solution.y[1] - 5) < 1e-5)
    }
}
