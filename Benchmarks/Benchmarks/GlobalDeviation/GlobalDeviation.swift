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
    for name in ["mid", "big"] {
        guard let f = try? NetworkFile.load("\(diff2d)/\(name)_f.nnet"), let set = try? FixedPoint(fractionalBits: 8).perturbationSet
        else { continue }
        let query = GlobalQuery(network: f, compression: .perturbation(set), region: region, metric: .logit,
                                tolerance: Rational(1, 10_000), jobs: 2)
        Benchmark("global diff2d \(name) perturbation set of 8 bits to 1e-4", configuration: slow) { benchmark async in
            for _ in benchmark.scaledIterations { blackHole(try? await GlobalRobustness.check(query)) }
        }
    }
    // ACAS Xu over property 1's region (ReluDiff's and NeuroDiff's load_inputs), τ = 0.05:
    // the float16 perturbation set, and the float16 copy (README, "Global questions at real size").
    let acas = diff2d + "/../acasxu"
    if let f = try? NetworkFile.load(acas + "/ACASXU_run2a_1_1_batch_2000.nnet"),
       let g = try? NetworkFile.load(acas + "/ACASXU_run2a_1_1_float16.nnet"),
       let property1 = try? InputRegion(parsing: "55947.691:60760,-3.141592:3.141592,-3.141592:3.141592,1145:1200,0:60") {
        let deep = Benchmark.Configuration(metrics: [.wallClock, .cpuTotal], maxDuration: .seconds(60), maxIterations: 3)
        let set = GlobalQuery(network: f, compression: .perturbation(FloatFormat.float16.perturbationSet), region: property1,
                              metric: .logit, tau: Rational(1, 20), jobs: 2)
        Benchmark("global ACAS Xu property 1, float16 perturbation set, tau 0.05", configuration: deep) { benchmark async in
            for _ in benchmark.scaledIterations { blackHole(try? await GlobalRobustness.check(set)) }
        }
        let pair = GlobalQuery(network: f, compression: try! .concrete(g, comparedWith: f), region: property1,
                               metric: .logit, tau: Rational(1, 20), jobs: 2)
        Benchmark("global ACAS Xu property 1 against its float16 copy, tau 0.05", configuration: slow) { benchmark async in
            for _ in benchmark.scaledIterations { blackHole(try? await GlobalRobustness.check(pair)) }
        }
        // Without τ: the maximum pinned to 1e-5 (issue 13's acceptance: ≤ 60 s; 60 s left it at
        // [5.18e-5, 2.47e-4] before open boxes were refined by differential back-substitution).
        let pinned = GlobalQuery(network: f, compression: try! .concrete(g, comparedWith: f), region: property1,
                                 metric: .logit, tolerance: Rational(1, 100_000), timeLimit: 60, jobs: 2)
        Benchmark("global ACAS Xu property 1 against its float16 copy, maximum to 1e-5", configuration: deep) { benchmark async in
            for _ in benchmark.scaledIterations { blackHole(try? await GlobalRobustness.check(pinned)) }
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
