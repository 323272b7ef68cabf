import Benchmark
import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Robustness

/// The shared reference networks beside the checkout (not part of the repository).
private let diff2d = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("../shared/networks/diff2d").standardized.path

/// Times `qrobust global` on the diff2d pairs: max |f − g| over x1 ∈ [0,1],
/// x2 ∈ [1,2] pinned to an interval of width 1e-4 (logit metric, 2 jobs),
/// the setting in which NeuroDiff takes 0.11 / 0.17 / 0.55 / 0.80 s.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal], maxDuration: .seconds(10), maxIterations: 30)
    guard FileManager.default.fileExists(atPath: diff2d) else {
        print("SKIPPED: \(diff2d) not found; the diff2d suite needs ../shared/networks")
        return
    }
    let region = InputRegion(lower: [Rational(0), Rational(1)], upper: [Rational(1), Rational(2)])
    // Global queries the ReLU branch and bound over PairLP closes (README, "How global questions are solved").
    let slow = Benchmark.Configuration(metrics: [.wallClock, .cpuTotal], maxDuration: .seconds(30), maxIterations: 5)
    let zoo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("../Examples/zoo/breast-cancer-relu-16-s0.json").standardized.path
    if let f = try? NetworkFile.load(zoo), let g = try? FixedPoint(fractionalBits: 8).apply(to: f) {
        // ±0.05 around a fixed point of [0, 1]^30 (the README's measurement uses the zoo's nearBoundary point).
        let centre = (0..<30).map { Rational($0 % 7 + 2, 10) }
        let box = InputRegion(lower: centre.map { $0 - Rational(1, 20) }, upper: centre.map { $0 + Rational(1, 20) })
        let query = GlobalQuery(network: f, compression: .concrete(g), region: box, metric: .logit,
                                tolerance: Rational(1, 10_000), jobs: 2)
        Benchmark("global breast-cancer 30-16-1 against 8 bits, ±0.05 box, to 1e-4", configuration: slow) { benchmark async in
            for _ in benchmark.scaledIterations { blackHole(try? await GlobalRobustness.check(query)) }
        }
    }
    if let f = try? NetworkFile.load("\(diff2d)/mid_f.nnet"), let set = try? FixedPoint(fractionalBits: 8).perturbationSet {
        let query = GlobalQuery(network: f, compression: .perturbation(set), region: region, metric: .logit,
                                tolerance: Rational(1, 10_000), jobs: 2)
        Benchmark("global diff2d mid perturbation set of 8 bits to 1e-4", configuration: slow) { benchmark async in
            for _ in benchmark.scaledIterations { blackHole(try? await GlobalRobustness.check(query)) }
        }
    }
    for name in ["tiny", "small", "mid", "big"] {
        let f = try! NetworkFile.load("\(diff2d)/\(name)_f.nnet"), g = try! NetworkFile.load("\(diff2d)/\(name)_g.nnet")
        let query = GlobalQuery(network: f, compression: try! .concrete(g, comparedWith: f), region: region,
                                metric: .logit, tolerance: Rational(1, 10_000), jobs: 2)
        Benchmark("global diff2d \(name) to 1e-4") { benchmark async in
            for _ in benchmark.scaledIterations {
                blackHole(try? await GlobalRobustness.check(query))
            }
        }
    }
}
