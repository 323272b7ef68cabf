import NeuralNetwork
import Queries
import Z3Kit

extension LocalRobustness {
    /// Answers independent local queries (many inputs, many widths) with at most
    /// `jobs` running at once, one Z3 context each (docs/semantics.md §5), on threads of
    /// their own (``SolverThreads``) rather than Swift's cooperative pool.
    /// - Parameter progress: told the number of queries answered so far, after each.
    /// - Returns: the results in the order of `queries`.
    /// - Throws: the first error any query throws.
    public static func checkAll(_ queries: [LocalQuery], jobs: Int,
                                progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil) async throws -> [LocalResult] {
        guard (1...GlobalQuery.maximumJobs).contains(jobs) else {
            throw QueryError("jobs must be between 1 and \(GlobalQuery.maximumJobs), found \(jobs)")
        }
        let threads = SolverThreads(count: jobs)
        defer { threads.shutdown() }
        return try await withThrowingTaskGroup(of: (Int, LocalResult).self) { group in
            var results = [LocalResult?](repeating: nil, count: queries.count)
            var next = 0
            func launch() {
                guard next < queries.count else { return }
                let index = next, query = queries[index]
                group.addTask(executorPreference: threads) { (index, try LocalRobustness.check(query)) }
                next += 1
            }
            for _ in 0..<min(jobs, queries.count) { launch() }
            var done = 0
            while let (index, result) = try await group.next() {
                results[index] = result
                done += 1
                progress?(done, queries.count)
                launch()
            }
            return results.map { $0! }
        }
    }
}
