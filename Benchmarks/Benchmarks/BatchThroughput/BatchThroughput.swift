import Benchmark
import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Robustness

/// The bundled examples, found relative to this file (the suite runs from Benchmarks/).
private let examples = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Examples").path

/// Throughput of a batch of independent questions with 1 and with 2 jobs:
/// 32 local queries (perturbation set of 6 bits, moons-relu, a grid of inputs)
/// through `LocalRobustness.checkAll`, the batch call the study's heat map uses.
/// Each iteration answers the whole batch; queries per second = 32 / time.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal], maxDuration: .seconds(20), maxIterations: 20)
    let network = try! NetworkFile.load("\(examples)/moons-relu.json")
    let set = try! FixedPoint(fractionalBits: 6).perturbationSet
    let queries = (0..<32).map { i in
        LocalQuery(network: network, compression: .perturbation(set),
                   input: [Rational(i % 8, 8), Rational(i / 8, 4)], metric: .probability)
    }
    for jobs in [1, 2] {
        Benchmark("batch of 32 local queries, \(jobs) job\(jobs == 1 ? "" : "s")") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try await LocalRobustness.checkAll(queries, jobs: jobs))
            }
        }
    }
}
