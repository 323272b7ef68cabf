import Foundation
import Synchronization
import Testing
import Z3Kit
@testable import Robustness

/// The gate that lets a global search answer at its limit while a worker is
/// stuck in a Z3 step that ignores interrupts.
@Suite("Worker gate")
struct WorkerGateTests {
    @Test("workers that all return in time: the gate reports it")
    func allReturn() async {
        let threads = SolverThreads(count: 2)
        defer { threads.shutdown() }
        let count = Mutex(0)
        let allReturned = await WorkerGate.run(workers: 2, on: threads, giveUpAt: Date().addingTimeInterval(30)) {
            count.withLock { $0 += 1 }
        }
        #expect(allReturned)
        #expect(count.withLock { $0 } == 2)
    }

    @Test("a worker that blocks its thread past the limit: the gate gives up on it at the limit")
    func stuckWorker() async {
        let threads = SolverThreads(count: 2)
        defer { threads.shutdown() }
        // The caller on a thread of its own, so that the clock is not delayed by
        // other suites holding the cooperative pool.
        let caller = SolverThreads(count: 1)
        defer { caller.shutdown() }
        let (allReturned, seconds) = await withTaskExecutorPreference(caller) {
            let started = Date()
            // Blocks as a Z3 check that ignores interrupts does: no suspension point.
            let allReturned = await WorkerGate.run(workers: 2, on: threads, giveUpAt: started.addingTimeInterval(0.2)) {
                Self.blockThread(seconds: 3)
            }
            return (allReturned, Date().timeIntervalSince(started))
        }
        #expect(!allReturned)
        #expect(seconds < 2)
    }

    @Test("a worker that outlives the gate and then suspends finds its threads still there")
    func lateWorkerSuspends() async throws {
        let finished = Mutex(false)
        // The gate and its threads live in this scope only, as in a global search: the
        // search answers at its limit, shuts the threads down and drops them.
        func search() async -> Bool {
            let threads = SolverThreads(count: 1)
            defer { threads.shutdown() }
            return await WorkerGate.run(workers: 1, on: threads, giveUpAt: Date().addingTimeInterval(0.05)) {
                Self.blockThread(seconds: 0.3)
                // Resuming after a suspension queues the worker on its executor again.
                try? await Task.sleep(nanoseconds: 50_000_000)
                finished.withLock { $0 = true }
            }
        }
        #expect(await search() == false)
        for _ in 0..<100 where !finished.withLock({ $0 }) { try await Task.sleep(nanoseconds: 20_000_000) }
        #expect(finished.withLock { $0 }, "the late worker never finished")
    }

    /// Blocks the calling thread (a synchronous function: async code may not sleep a thread).
    private static func blockThread(seconds: Double) { Thread.sleep(forTimeInterval: seconds) }

    @Test("a sealed frontier keeps a stuck worker's box in flight: its bound stays in the proved upper end")
    func sealKeepsInFlightBound() {
        let root = OpenBox(box: [], upper: 0.75, depth: 0, splitDimension: 0)
        let frontier = SearchFrontier(roots: [root], best: Candidate(value: 0.1, point: []), statistics: GlobalStatistics(),
                                      tau: nil, tolerance: 0.001, deadline: nil)
        guard case .box(_, let ticket) = frontier.next() else { Issue.record("expected the root box"); return }
        frontier.seal("the time limit was reached")
        // The late worker returns a child with a smaller bound: ignored after the seal.
        frontier.finish(ticket: ticket, children: [OpenBox(box: [], upper: 0.2, depth: 1, splitDimension: 0)],
                        closed: nil, candidate: nil, statistics: GlobalStatistics())
        #expect(frontier.upper == 0.75)
        #expect(frontier.stopReason == "the time limit was reached")
        guard case .done = frontier.next() else { Issue.record("a sealed frontier hands out no more boxes"); return }
    }
}
