import Foundation
import Testing
@testable import Z3Kit

/// A meeting point for `expected` blocking tasks: each arrives, then waits
/// (blocking its thread) until all have arrived or `seconds` pass.
private final class Rendezvous: @unchecked Sendable {
    private let condition = NSCondition()
    private var arrived = 0
    private let expected: Int

    init(expected: Int) { self.expected = expected }

    /// Whether every task arrived before the time ran out.
    func meet(seconds: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        arrived += 1
        condition.broadcast()
        let deadline = Date().addingTimeInterval(seconds)
        while arrived < expected {
            if !condition.wait(until: deadline) { return arrived >= expected }
        }
        return true
    }
}

@Suite("SolverThreads")
struct SolverThreadsTests {
    /// More tasks than cores, each blocking until all have started: possible
    /// only if every task has a thread of its own. On Swift's cooperative pool
    /// (one thread per core) the first tasks would wait in vain.
    @Test("count blocking tasks run at once, even more than there are cores")
    func blockingTasksRunTogether() async {
        let count = ProcessInfo.processInfo.activeProcessorCount + 1
        let threads = SolverThreads(count: count)
        defer { threads.shutdown() }
        let rendezvous = Rendezvous(expected: count)
        let met = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<count {
                group.addTask(executorPreference: threads) { rendezvous.meet(seconds: 20) }
            }
            return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(met == count)
    }

    @Test("Z3 checks on the threads give their answers; a task started after shutdown still runs")
    func checksAndLateTasks() async throws {
        let threads = SolverThreads(count: 2)
        let answers = try await withThrowingTaskGroup(of: CheckResult.self) { group in
            for satisfiable in [true, false, true] {
                group.addTask(executorPreference: threads) {
                    let z3 = try Context()
                    let x = try z3.realVariable("x")
                    let solver = try Solver(context: z3)
                    try solver.assert(x > z3.real(1))
                    try solver.assert(x < z3.real(satisfiable ? 2 : 1))
                    return try solver.check()
                }
            }
            return try await group.reduce(into: [CheckResult]()) { $0.append($1) }
        }
        #expect(answers.filter { $0 == .sat }.count == 2 && answers.filter { $0 == .unsat }.count == 1)
        threads.shutdown()
        let late = await Task(executorPreference: threads) { 6 * 7 }.value
        #expect(late == 42)
    }
}
