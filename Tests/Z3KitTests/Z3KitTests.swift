import Foundation
import Testing
@testable import ExactArithmetic
@testable import Z3Kit


/// The pigeonhole principle for 13 pigeons and 12 holes: unsatisfiable, and
/// exponential for CDCL solvers, so it runs until it is stopped. (Nonlinear
/// integer queries are not used: Z3 4.8.12 does not reliably honour interrupts there.)
func assertPigeonhole(_ z3: Context, _ solver: Solver, pigeons: Int = 13) throws {
    let holes = pigeons - 1
    let p = try (0..<pigeons).map { i in try (0..<holes).map { j in try z3.boolVariable("p_\(i)_\(j)") } }
    for i in 0..<pigeons { try solver.assert(z3.or(p[i])) }
    for j in 0..<holes {
        for i in 0..<pigeons {
            for k in (i + 1)..<pigeons { try solver.assert(!p[i][j] || !p[k][j]) }
        }
    }
}

@Suite("Z3Kit", .serialized)
struct Z3KitTests {
    @Test("sat, unsat, model values are exact rationals")
    func basicSolving() throws {
        let z3 = try Context()
        let x = try z3.realVariable("x"), y = try z3.realVariable("y")
        let solver = try Solver(context: z3)
        try solver.assert(x + y == z3.real(Rational(1, 3)))
        try solver.assert(x - y == z3.real(Rational(1, 7)))
        #expect(try solver.check() == .sat)
        let model = try solver.model()
        #expect(try model.rational(x) == Rational(5, 21))
        #expect(try model.rational(y) == Rational(2, 21))
        try solver.push()
        try solver.assert(x > z3.real(1))
        #expect(try solver.check() == .unsat)
        try solver.pop()
        #expect(try solver.check() == .sat)
    }

    @Test("numerals round-trip exactly", arguments: ["1e-05", "1E5", "1e300", "-0.0", "5e-324", "123456789012345678901234567890123", "-7/16", "0.1"])
    func numeralRoundTrip(_ text: String) throws {
        let z3 = try Context()
        let expected = try #require(Rational(parsing: text))
        #expect(try z3.real(parsing: text).rationalValue == expected)
        if let double = Double(text) {
            #expect(try z3.real(exactly: double).rationalValue == Rational(exactly: double))
        }
    }

    @Test("the smallest subnormal, 1e300 and -0.0 reach Z3 as their exact binary values")
    func exactDoubles() throws {
        let z3 = try Context()
        #expect(try z3.real(exactly: Double.leastNonzeroMagnitude).rationalValue == Rational.powerOfTwo(-1074))
        #expect(try z3.real(exactly: -0.0).rationalValue == .zero)
        let big = try z3.real(exactly: 1e300).rationalValue!
        #expect(big.isInteger && big.numerator.description.count == 301)
        #expect(throws: Z3Error.self) { try z3.real(exactly: .nan) }
    }

    @Test("a sort mismatch throws and the context stays usable")
    func sortMismatch() throws {
        let z3 = try Context()
        let x = try z3.realVariable("x"), p = try z3.boolVariable("p")
        let error = #expect(throws: Z3Error.self) { try x + p }
        // Z3 4.8 reports this sort mismatch as a generic exception.
        #expect(error?.code == .exception || error?.code == .sortError, "\(String(describing: error))")
        #expect(throws: Z3Error.self) { try z3.and([x]) }
        let solver = try Solver(context: z3)
        try solver.assert(x >= z3.real(2))
        #expect(try solver.check() == .sat)
    }

    @Test("terms of two contexts are refused before they reach libz3, which would crash on them")
    func mixedContexts() throws {
        let first = try Context(), second = try Context()
        let x = try first.realVariable("x"), y = try second.realVariable("y")
        for combine in [{ try x + y }, { try x <= y }, { try first.sum([x, y]) }, { try first.ite(first.bool(true), x, y) }] {
            let error = #expect(throws: Z3Error.self) { _ = try combine() }
            #expect(error?.code == .kitUsage)
        }
        let solver = try Solver(context: first)
        #expect(throws: Z3Error.self) { try solver.assert(y >= second.real(0)) }
        try solver.assert(x >= first.real(1))
        #expect(try solver.check() == .sat)
        #expect(throws: Z3Error.self) { _ = try solver.model().rational(y) }
    }

    @Test("a check that throws disarms its watchdog: later checks on the context are not interrupted")
    func watchdogDisarmsOnThrow() throws {
        let z3 = try Context()
        struct Failure: Error {}
        #expect(throws: Failure.self) {
            _ = try withTimeLimit(z3, SolverLimits(timeoutMilliseconds: 20)) { throw Failure() }
        }
        // Before the fix the watchdog fired at 20 ms and every 50 ms after, so
        // a check started here came back unknown("interrupted").
        Thread.sleep(forTimeInterval: 0.15)
        let solver = try Solver(context: z3)
        try assertPigeonhole(z3, solver, pigeons: 9)
        #expect(try solver.check() == .unsat)
    }

    @Test("a hard query with a 200 ms timeout answers unknown(timeout)")
    func timeout() throws {
        let z3 = try Context()
        let solver = try Solver(context: z3, limits: SolverLimits(timeoutMilliseconds: 200))
        try assertPigeonhole(z3, solver)
        let start = Date()
        let result = try solver.check()
        #expect(result == .unknown(reason: "timeout"))
        #expect(Date().timeIntervalSince(start) < 30)
        #expect(solver.statistics.count > 0)
    }

    @Test("a resource limit answers unknown")
    func resourceLimit() throws {
        let z3 = try Context()
        let solver = try Solver(context: z3, limits: SolverLimits(resourceLimit: 20000))
        try assertPigeonhole(z3, solver)
        guard case .unknown = try solver.check() else { Issue.record("expected unknown"); return }
    }

    @Test("interrupt from another thread cancels a running check")
    func interrupt() async throws {
        let z3 = try Context()
        let solver = try Solver(context: z3)
        try assertPigeonhole(z3, solver)
        let handle = z3.interruptHandle
        let done = Done()
        // An interrupt that lands before the check is interruptible is lost
        // (Z3 4.8.12), so keep interrupting until the check returns.
        let interrupter = Thread {
            Thread.sleep(forTimeInterval: 0.3)
            while !done.value {
                handle.interrupt()
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        interrupter.start()
        let result = try solver.check()
        done.value = true
        guard case .unknown(let reason) = result else { Issue.record("expected unknown, got \(result)"); return }
        #expect(reason.contains("interrupt") || reason.contains("cancel"))
    }

    @Test("assumptions and unsat cores")
    func assumptions() throws {
        let z3 = try Context()
        let x = try z3.realVariable("x")
        let a = try z3.boolVariable("a"), b = try z3.boolVariable("b")
        let solver = try Solver(context: z3)
        try solver.assert(z3.implies(a, x >= z3.real(1)))
        try solver.assert(z3.implies(b, x <= z3.real(0)))
        #expect(try solver.check(assuming: [a]) == .sat)
        #expect(try solver.check(assuming: [a, b]) == .unsat)
        #expect(try Set(solver.unsatCore().map(\.description)) == ["a", "b"])
    }

    @Test("Optimize finds exact optima of a linear program; bounds read back exactly")
    func optimize() throws {
        let z3 = try Context()
        let x = try z3.realVariable("x"), y = try z3.realVariable("y")
        let optimizer = try Optimize(context: z3)
        try optimizer.assert(x + y <= z3.real(Rational(10, 3)))
        try optimizer.assert(x - y <= z3.real(1))
        try optimizer.assert(y >= z3.real(0))
        let index = try optimizer.maximize(x)
        #expect(try optimizer.check() == .sat)
        // Independent: the vertex x + y = 10/3, x − y = 1 gives x = 13/6.
        #expect(try optimizer.upper(index) == .value(Rational(13, 6)))
        #expect(try optimizer.model().rational(x) == Rational(13, 6))
        let unbounded = try Optimize(context: z3)
        try unbounded.assert(x >= z3.real(0))
        let i = try unbounded.maximize(x)
        #expect(try unbounded.check() == .sat)
        guard case .nonStandard = try unbounded.upper(i) else { Issue.record("expected oo"); return }
    }

    @Test("a detached maximisation finds the same vertex and gives its model in the caller's context", arguments: [nil, UInt32(5_000)])
    func detachedOptimize(_ milliseconds: UInt32?) throws {
        let z3 = try Context()
        let x = try z3.realVariable("x"), y = try z3.realVariable("y")
        let constraints = [try x + y <= z3.real(Rational(10, 3)), try x - y <= z3.real(1), try y >= z3.real(0)]
        let found = try DetachedOptimize.maximize(x, subjectTo: constraints,
                                                  limits: SolverLimits(timeoutMilliseconds: milliseconds))
        #expect(found.result == .sat)
        #expect(found.upper == .value(Rational(13, 6)))
        let model = try #require(found.model)
        #expect(model.context === z3)
        #expect(try model.rational(x) == Rational(13, 6))
        #expect(try model.rational(y) == Rational(7, 6))
        // The caller's context is unchanged and usable.
        let solver = try Solver(context: z3)
        for constraint in constraints { try solver.assert(constraint) }
        try solver.assert(x > z3.real(Rational(13, 6)))
        #expect(try solver.check() == .unsat)
    }

    @Test("a detached maximisation that cannot finish in time answers unknown(timeout) by its limit")
    func detachedOptimizeGivesUp() throws {
        // Pigeonhole as integers: Optimize cannot finish 13 pigeons in 0.2 s.
        let z3 = try Context()
        let pigeons = 13, holes = 12
        var constraints: [Term] = []
        var sum = try z3.int(0)
        for p in 0..<pigeons {
            let hole = try z3.intVariable("h\(p)")
            constraints += [try hole >= z3.int(0), try hole <= z3.int(holes - 1)]
            sum = try sum + hole
            for q in 0..<p { constraints.append(try !(hole == z3.intVariable("h\(q)"))) }
        }
        let started = Date()
        let found = try DetachedOptimize.maximize(sum, subjectTo: constraints,
                                                  limits: SolverLimits(timeoutMilliseconds: 200), grace: 0.2)
        #expect(found.result == .unknown(reason: "timeout"))
        #expect(Date().timeIntervalSince(started) < 1.5)
    }

    @Test("SMT-LIB dump lists the assertions")
    func dump() throws {
        let z3 = try Context()
        let x = try z3.realVariable("weight")
        let solver = try Solver(context: z3)
        try solver.assert(x >= z3.real(Rational(1, 100_000)))
        let text = solver.smtLib
        #expect(text.contains("declare-fun weight () Real"))
        #expect(text.contains("(/ 1.0 100000.0)"))
    }

    @Test("nonlinear models give algebraic numbers as narrow enclosures")
    func algebraic() throws {
        let z3 = try Context()
        let x = try z3.realVariable("x")
        let solver = try Solver(context: z3)
        try solver.assert(x * x == z3.real(2))
        try solver.assert(x >= z3.real(0))
        #expect(try solver.check() == .sat)
        let model = try solver.model()
        #expect(throws: Z3Error.self) { try model.rational(x) }
        let root = try model.enclosure(of: x)
        #expect(root.lower * root.lower <= Rational(2) && Rational(2) <= root.upper * root.upper)
        #expect(root.width < Rational(1, 1_000_000_000))
    }
}

/// A flag shared with the interrupting thread.
final class Done: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    var value: Bool {
        get { lock.lock(); defer { lock.unlock() }; return flag }
        set { lock.lock(); flag = newValue; lock.unlock() }
    }
}

@Suite("Z3Kit limits", .serialized)
struct Z3KitLimitTests {
    @Test("after a timeout inside push/pop the same solver answers the next, easy check")
    func usableAfterTimeout() throws {
        let z3 = try Context()
        let x = try z3.intVariable("x")
        let solver = try Solver(context: z3, limits: SolverLimits(timeoutMilliseconds: 200))
        try solver.push()
        try assertPigeonhole(z3, solver)
        #expect(try solver.check() == .unknown(reason: "timeout"))
        try solver.pop()
        try solver.assert(x == z3.int(3))
        #expect(try solver.check() == .sat)
        #expect(try solver.model().rational(x) == Rational(3))
    }
}
