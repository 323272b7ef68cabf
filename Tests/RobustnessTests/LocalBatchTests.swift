import Compression
import ExactArithmetic
import NeuralNetwork
import Queries
import TestSupport
import Testing
@testable import Robustness

@Suite("Local queries in a batch")
struct LocalBatchTests {
    @Test("checkAll with 1 and 2 jobs gives each query's own answer, in order", arguments: [1, 2])
    func batchMatchesOneByOne(_ jobs: Int) async throws {
        let network = TestNetworks.random(sizes: [2, 4, 4, 1], hidden: .relu, output: .sigmoid, seed: 31)
        let set = PerturbationSet.absolute(radius: 1.0 / 64)
        let queries = (0..<6).map { i in
            LocalQuery(network: network, compression: .perturbation(set),
                       input: [Rational(i - 3, 4), Rational(3 - 2 * i, 8)], metric: i % 2 == 0 ? .probability : .logit)
        }
        let batch = try await LocalRobustness.checkAll(queries, jobs: jobs)
        #expect(batch.count == queries.count)
        for (query, result) in zip(queries, batch) {
            let alone = try LocalRobustness.check(query)
            #expect(result.deviation == alone.deviation)
            #expect(result.deviation.upper - result.deviation.lower <= Rational(1, 1_000_000))
        }
        // The answers differ from query to query, so the comparison above
        // tells a shuffled or repeated batch from the right one.
        #expect(Set(batch.map { $0.deviation.upper.description }).count > 1)
    }

    @Test("fewer than one job is refused")
    func zeroJobs() async {
        await #expect(throws: QueryError.self) { try await LocalRobustness.checkAll([], jobs: 0) }
    }
}
