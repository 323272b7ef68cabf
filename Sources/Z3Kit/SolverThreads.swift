import Foundation

/// A fixed number of threads of their own, as a Swift task executor, for work
/// that blocks: Z3 checks.
///
/// A check holds its thread for milliseconds to seconds without suspending.
/// Swift's cooperative pool has one thread per core, so checks run there
/// starve each other, and whenever a caller blocks one of those threads (a
/// benchmark harness waiting on a semaphore, a synchronous bridge, another
/// check) `jobs` parallel checks silently run one at a time. Child tasks that
/// prefer this executor (`group.addTask(executorPreference:)`) run on these
/// `count` threads instead, whatever the pool is doing.
///
/// Call ``shutdown()`` when the tasks are done: the threads then finish the
/// jobs already queued and end.
public final class SolverThreads: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [UnownedJob] = []
    private var isOpen = true

    /// Starts `count` threads (at least one).
    public init(count: Int) {
        for _ in 0..<max(1, count) {
            Self.startThread { [self] in
                while let job = nextJob() { job.runSynchronously(on: asUnownedTaskExecutor()) }
            }
        }
    }

    /// Starts a thread with the stack a main thread gets on Linux by default
    /// (8 MiB, `ulimit -s`), since Z3 recurses over terms.
    private static func startThread(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = "qrobust solver"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Queues a job for the next free thread. After ``shutdown()`` a job that
    /// still arrives gets a thread of its own, so that no task is ever stranded.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // The runtime calls this without a reference of its own: the executor lives as long
        // as the tasks that prefer it and the threads. After shutdown the thread started below
        // can run the job, end its task and release the last reference before this call has
        // unlocked the condition (a search that answered at its limit, its late worker woken
        // from a sleep); the explicit reference keeps the executor until this call returns.
        let retained = Unmanaged.passRetained(self)
        defer { retained.release() }
        condition.lock()
        defer { condition.unlock() }
        if isOpen {
            queue.append(job)
            condition.signal()
        } else {
            Self.startThread { [self] in job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }

    /// Lets the threads end once the queued jobs have run.
    public func shutdown() {
        condition.lock()
        defer { condition.unlock() }
        isOpen = false
        condition.broadcast()
    }

    /// The oldest queued job, waiting for one while the executor is open; nil
    /// once it is shut down and drained.
    private func nextJob() -> UnownedJob? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && isOpen { condition.wait() }
        return queue.isEmpty ? nil : queue.removeFirst()
    }
}
