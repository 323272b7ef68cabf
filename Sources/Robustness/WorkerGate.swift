import Foundation
import Synchronization
import Z3Kit

/// Runs a search's workers and waits for them, but not past a point in time.
///
/// Z3 polls for interrupts only where it deems it safe: a check or an
/// optimisation can run on for seconds after the ``Z3Kit`` watchdog asks it
/// to stop (a box of a 30-input network ran 4 s past a 0.5 s limit inside
/// `Z3_optimize_check`). A query must still answer within its time limit, so
/// ``run(workers:on:giveUpAt:_:)`` returns at `giveUpAt` even if a worker is
/// stuck. The stuck worker is left to finish in the background: it owns its
/// Z3 context, and the shared state it would update has been sealed
/// (``SearchFrontier/seal(_:)``) before the answer is read.
enum WorkerGate {
    /// Starts `count` copies of `body` on `threads` and waits until all have
    /// returned or `giveUpAt` (if any) has passed; returns whether all returned.
    static func run(workers count: Int, on threads: SolverThreads, giveUpAt: Date?,
                    _ body: @escaping @Sendable () async -> Void) async -> Bool {
        let latch = Latch(count: count)
        for _ in 0..<count {
            Task(executorPreference: threads) {
                await body()
                latch.arrive()
            }
        }
        if let giveUpAt {
            // A thread, not a task: the cooperative pool may be busy with
            // blocking work of the caller's, and the limit must not wait for it.
            Thread {
                while !latch.isSettled && Date() < giveUpAt {
                    Thread.sleep(until: min(giveUpAt, Date().addingTimeInterval(0.05)))
                }
                latch.expire()
            }.start()
        }
        return await latch.wait()
    }

    /// Counts workers down; resumes its one waiter when the count reaches
    /// zero (true) or when it expires first (false), exactly once.
    private final class Latch: Sendable {
        private struct State {
            var remaining: Int
            var outcome: Bool?
            var waiter: CheckedContinuation<Bool, Never>?
        }
        private let state: Mutex<State>

        init(count: Int) { state = Mutex(State(remaining: count)) }

        func arrive() {
            settle { state in
                state.remaining -= 1
                return state.remaining == 0 ? true : nil
            }
        }

        func expire() { settle { _ in false } }

        /// Whether the outcome is known (the timer thread then ends early).
        var isSettled: Bool { state.withLock { $0.outcome != nil } }

        /// Records the first outcome and resumes the waiter if it is waiting.
        private func settle(_ decide: (inout State) -> Bool?) {
            let resume = state.withLock { state -> (CheckedContinuation<Bool, Never>, Bool)? in
                guard state.outcome == nil, let outcome = decide(&state) else { return nil }
                state.outcome = outcome
                defer { state.waiter = nil }
                return state.waiter.map { ($0, outcome) }
            }
            if let (waiter, outcome) = resume { waiter.resume(returning: outcome) }
        }

        func wait() async -> Bool {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Bool? in
                    if let outcome = state.outcome { return outcome }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}
