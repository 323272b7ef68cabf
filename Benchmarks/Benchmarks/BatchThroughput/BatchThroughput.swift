import Benchmark
import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
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
    // `local --inputs` on real sizes: the first 10 images of Examples/mnist/mnist-100.csv against the
    // PyTorch MNIST export rounded to 8 bits, flip metric (needs ../shared/networks/mnist).
    let mnist = URL(fileURLWithPath: examples).appendingPathComponent("../../shared/networks/mnist/mnist-net_256x2.onnx").standardized.path
    guard FileManager.default.fileExists(atPath: mnist) else {
        print("SKIPPED: \(mnist) not found; the MNIST batch needs ../shared/networks")
        return
    }
    let classifier = try! NetworkFile.load(mnist)
    let rounded = try! FixedPoint(fractionalBits: 8).apply(to: classifier)
    let table = try! InputTable(contentsOf: "\(examples)/mnist/mnist-100.csv", labelColumn: "label", scale: Rational(1, 255))
    let images = table.rows.prefix(10).map { row in
        LocalQuery(network: classifier, compression: .concrete(rounded), input: row.input, metric: .flip)
    }
    for jobs in [1, 2] {
        Benchmark("MNIST batch of 10 images, 8-bit network, flip, \(jobs) job\(jobs == 1 ? "" : "s")",
                  configuration: .init(metrics: [.wallClock, .cpuTotal], maxDuration: .seconds(30), maxIterations: 5)) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try await LocalRobustness.checkAll(images, jobs: jobs))
            }
        }
    }
}
