import Bounds
import Testing
@testable import LPBounds

/// Certified LP bounds against optima worked out by hand.
@Suite("Certified linear programs")
struct LPBoundsTests {
    /// max x + y s.t. x + 2y ≤ 4, 3x + y ≤ 6, 0 ≤ x, y ≤ 10: by hand, the vertex
    /// (8/5, 6/5) with value 14/5.
    static func textbook() throws -> LinearProgram {
        var lp = LinearProgram()
        let x = try lp.addVariable(lower: 0, upper: 10, objective: 1)
        let y = try lp.addVariable(lower: 0, upper: 10, objective: 1)
        try lp.addRow([(x, Interval(1, 1)), (y, Interval(2, 2))], .atMost, 4)
        try lp.addRow([(x, Interval(3, 3)), (y, Interval(1, 1))], .atMost, 6)
        return lp
    }

    @Test("the proved bound is the hand-worked optimum, up to rounding, and the point is the vertex")
    func textbookOptimum() throws {
        guard case .bounded(let upper, let point) = try CertifiedLP(Self.textbook()).maximize() else {
            Issue.record("expected a bound"); return
        }
        #expect(upper >= 2.8 && upper <= 2.8 + 1e-12)
        #expect(abs(point[0] - 1.6) < 1e-9 && abs(point[1] - 1.2) < 1e-9)
    }

    @Test("any multipliers give a valid bound: never below the true optimum 14/5")
    func anyMultipliers() throws {
        let lp = try Self.textbook()
        var state: UInt64 = 7
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53) * 4 - 2
        }
        for _ in 0..<1000 {
            let bound = SafeBound.upperBound(lp, multipliers: [uniform(), uniform()])
            #expect(bound.map { $0 >= 2.8 } ?? true)
        }
        // The exact dual (2/5, 1/5), from y₁ + 3y₂ = 1 and 2y₁ + y₂ = 1, gives the optimum itself.
        let exact = try #require(SafeBound.upperBound(lp, multipliers: [0.4, 0.2]))
        #expect(exact >= 2.8 && exact <= 2.8 + 1e-12)
    }

    @Test("interval coefficients: the bound holds for every matrix inside them")
    func intervalCoefficients() throws {
        // max x s.t. a·x ≤ 1 with a ∈ [1/2, 1], 0 ≤ x ≤ 10: for a = 1/2 the maximum is 2.
        var lp = LinearProgram()
        let x = try lp.addVariable(lower: 0, upper: 10, objective: 1)
        try lp.addRow([(x, Interval(0.5, 1))], .atMost, 1)
        guard case .bounded(let upper, _) = try CertifiedLP(lp).maximize() else { Issue.record("expected a bound"); return }
        #expect(upper >= 2)
    }

    @Test("infeasibility is proved; a feasible program with the same rows is bounded")
    func infeasible() throws {
        for (needed, feasible) in [(5.0, false), (4.0, true)] {
            var lp = LinearProgram()
            let x = try lp.addVariable(lower: 0, upper: 2, objective: 1)
            let y = try lp.addVariable(lower: 0, upper: 2)
            try lp.addRow([(x, Interval(1, 1)), (y, Interval(1, 1))], .atLeast, needed)
            let outcome = try CertifiedLP(lp).maximize()
            switch outcome {
            case .infeasible: #expect(!feasible)
            case .bounded(let upper, _): #expect(feasible && upper >= 2 && upper <= 2 + 1e-12)
            case .unknown(let why): Issue.record("unexpected unknown: \(why)")
            }
        }
    }

    @Test("changed bounds re-solve from the last basis to the same answer as a fresh program")
    func warmStart() throws {
        let lp = try Self.textbook()
        let solver = try CertifiedLP(lp)
        _ = solver.maximize()
        try solver.setBounds(1, lower: 0, upper: 0.5)
        var fresh = lp
        try fresh.setBounds(1, lower: 0, upper: 0.5)
        // By hand: y = 1/2 leaves 3x ≤ 5.5, x ≤ 3 → x = 11/6, value 7/3.
        for outcome in [solver.maximize(), try CertifiedLP(fresh).maximize()] {
            guard case .bounded(let upper, _) = outcome else { Issue.record("expected a bound"); return }
            #expect(upper >= 7.0 / 3 && upper <= 7.0 / 3 + 1e-12)
        }
    }

    @Test("bad programs are refused with an error, not a trap")
    func badPrograms() {
        var lp = LinearProgram()
        #expect(throws: LPError.self) { try lp.addVariable(lower: 1, upper: 0) }
        #expect(throws: LPError.self) { try lp.addVariable(lower: 0, upper: .infinity) }
        #expect(throws: LPError.self) { try lp.addRow([(3, Interval(1, 1))], .atMost, 1) }
    }
}
