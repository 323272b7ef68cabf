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
