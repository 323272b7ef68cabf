import Benchmark
import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Robustness

/// The shared reference networks beside the checkout (not part of the repository).
private let networks = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("../shared/networks").standardized.path

/// Times local perturbation queries on networks deep enough to leave unstable
/// ReLUs after back-substitution, so that the ReLU branch and bound with
/// certified LPs decides them: the deep-networks issue's points, logit
/// metric, tolerance 1e-6, 10 s limit (`qrobust local … --metric logit --tolerance 1e-6`).
/// The MNIST case also needs `Examples/mnist/mnist-100.csv` in the checkout.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal], maxDuration: .seconds(20), maxIterations: 10)
    guard FileManager.default.fileExists(atPath: networks + "/acasxu") else {
        print("SKIPPED: \(networks) not found; the deep local suite needs ../shared/networks")
        return
    }
    let acas = try! NetworkFile.load(networks + "/acasxu/ACASXU_run2a_1_1_batch_2000.nnet")
    let big = try! NetworkFile.load(networks + "/diff2d/big_f.nnet")
    let point = [58000, 0.1, -0.2, 1150, 30].map { Rational(exactly: $0)! }
    var cases: [(String, Network, [Rational], PerturbationSet)] = [
        ("ACAS Xu float16", acas, point, FloatFormat.float16.perturbationSet),
        ("ACAS Xu 12 bits", acas, point, try! FixedPoint(fractionalBits: 12).perturbationSet),
        ("ACAS Xu 8 bits", acas, point, try! FixedPoint(fractionalBits: 8).perturbationSet),
        ("diff2d big 8 bits", big, [Rational(1, 2), Rational(3, 2)], try! FixedPoint(fractionalBits: 8).perturbationSet),
    ]
    // mnist_relu_3_100 at 8 bits on image 21 of Examples/mnist/mnist-100.csv (pixels p/255,
    // label last): 54 unstable ReLUs, unknown at 10 s before the branching rule weighed duals.
    let images = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("../Examples/mnist/mnist-100.csv").standardized.path
    if let mnist = try? NetworkFile.load(networks + "/mnist/mnist_relu_3_100.nnet"),
       let text = try? String(contentsOfFile: images, encoding: .utf8) {
        let rows = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.dropFirst()
        let pixels = rows.dropFirst(20).first!.split(separator: ",").dropLast().map { Rational(Int($0)!, 255) }
        cases.append(("mnist_relu_3_100 8 bits, image 21", mnist, pixels, try! FixedPoint(fractionalBits: 8).perturbationSet))
    }
    for (name, network, input, set) in cases {
        let query = LocalQuery(network: network, compression: .perturbation(set), input: input, metric: .logit,
                               tolerance: Rational(1, 1_000_000), timeLimit: 10)
        Benchmark("local \(name) to 1e-6") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try LocalRobustness.check(query))
            }
        }
    }
}
