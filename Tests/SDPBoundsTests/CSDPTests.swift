import Foundation
import Testing
@testable import SDPBounds

/// CSDP through its wrapper: a problem solved by hand, failures reported as
/// return codes, and malformed problems rejected before CSDP (which would
/// `exit()` the process) sees them.
@Suite struct CSDPTests {
    typealias Entry = SDPProblem.Entry

    /// `min y1 + y2 s.t. [[y1−1, −2], [−2, y2−3]] ⪰ 0`: (y1−1)(y2−3) ≥ 4 is
    /// tightest at y1 − 1 = y2 − 3 = 2, so the optimum is 8 at (3, 5).
    static let toy = SDPProblem(
        blocks: [.init(.matrix, size: 2)], objective: [1, 1],
        constant: [Entry(block: 0, row: 0, column: 0, value: 1), Entry(block: 0, row: 0, column: 1, value: 2),
                   Entry(block: 0, row: 1, column: 1, value: 3)],
        constraints: [[Entry(block: 0, row: 0, column: 0, value: 1)], [Entry(block: 0, row: 1, column: 1, value: 1)]])

    @Test func toyProblemHasItsHandWorkedOptimum() throws {
        let solution = try CSDP.solve(Self.toy)
        #expect(solution.status.code == 0)
        #expect(abs(solution.dualObjective - 8) < 1e-6)
        #expect(abs(solution.y[0] - 3) < 1e-5 && abs(solution.y[1] - 5) < 1e-5)
    }

    /// `min y s.t. −y − 1 ≥ 0` is unbounded below: the primal is infeasible, and
    /// CSDP says so with code 1 instead of ending the process.
    @Test func unboundedProblemIsAReturnCodeNotAnExit() throws {
        let problem = SDPProblem(blocks: [.init(.diagonal, size: 1)], objective: [1],
                                 constant: [Entry(block: 0, row: 0, column: 0, value: 1)],
                                 constraints: [[Entry(block: 0, row: 0, column: 0, value: -1)]])
        let solution = try CSDP.solve(problem)
        #expect(solution.status.code == 1)
        #expect(!solution.status.isSolved)
        #expect(solution.status.description.contains("infeasible"))
    }

    /// Each way a problem can be malformed is named, and CSDP is never called.
    @Test(arguments: [
        ("no blocks", SDPProblem(blocks: [], objective: [1], constant: [], constraints: [[]]), "no blocks"),
        ("size 0", SDPProblem(blocks: [.init(.matrix, size: 0)], objective: [1], constant: [], constraints: [[]]), "below 1"),
        ("no variables", SDPProblem(blocks: [.init(.matrix, size: 1)], objective: [], constant: [], constraints: []), "no variables"),
        ("objective length", SDPProblem(blocks: [.init(.matrix, size: 1)], objective: [1, 2], constant: [],
                                        constraints: [[Entry(block: 0, row: 0, column: 0, value: 1)]]), "2 coefficients"),
        ("empty A", SDPProblem(blocks: [.init(.matrix, size: 1)], objective: [1], constant: [], constraints: [[]]), "no entries"),
        ("block", SDPProblem(blocks: [.init(.matrix, size: 1)], objective: [1], constant: [],
                             constraints: [[Entry(block: 1, row: 0, column: 0, value: 1)]]), "does not exist"),
        ("outside", SDPProblem(blocks: [.init(.matrix, size: 2)], objective: [1], constant: [],
                               constraints: [[Entry(block: 0, row: 0, column: 2, value: 1)]]), "outside the block"),
        ("lower triangle", SDPProblem(blocks: [.init(.matrix, size: 2)], objective: [1], constant: [],
                                      constraints: [[Entry(block: 0, row: 1, column: 0, value: 1)]]), "below the diagonal"),
        ("diagonal block", SDPProblem(blocks: [.init(.diagonal, size: 2)], objective: [1], constant: [],
                                      constraints: [[Entry(block: 0, row: 0, column: 1, value: 1)]]), "off the diagonal"),
        ("duplicate", SDPProblem(blocks: [.init(.matrix, size: 2)], objective: [1], constant: [],
                                 constraints: [[Entry(block: 0, row: 0, column: 1, value: 1),
                                                Entry(block: 0, row: 0, column: 1, value: 2)]]), "given twice"),
        ("NaN", SDPProblem(blocks: [.init(.matrix, size: 1)], objective: [1],
                           constant: [Entry(block: 0, row: 0, column: 0, value: .nan)],
                           constraints: [[Entry(block: 0, row: 0, column: 0, value: 1)]]), "not a finite number"),
        ("infinite objective", SDPProblem(blocks: [.init(.matrix, size: 1)], objective: [.infinity], constant: [],
                                          constraints: [[Entry(block: 0, row: 0, column: 0, value: 1)]]), "not a finite number"),
    ])
    func malformedProblemsAreRejectedBeforeCSDP(_ name: String, _ problem: SDPProblem, _ message: String) {
        #expect(throws: SDPProblemError.self) { try CSDP.solve(problem) }
        do {
            _ = try CSDP.solve(problem)
        } catch {
            #expect(error.description.contains(message), "\(name): \(error)")
        }
    }

    /// The SDPA file of the toy problem, line by line as the format defines it.
    @Test func sdpaExportOfTheToyProblem() throws {
        let text = Self.toy.sdpaSparse(comment: "toy")
        #expect(text == """
            " toy
            2 = mdim
            1 = nblocks
            2
            1 1
            0 1 1 1 1
            0 1 1 2 2
            0 1 2 2 3
            1 1 1 1 1
            2 1 2 2 1

            """)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("qrobust-toy-\(getpid()).dat-s").path
        try Self.toy.writeSDPA(to: path, comment: "toy")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
        try? FileManager.default.removeItem(atPath: path)
    }
}
