import Benchmark
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import SDPBounds

/// The shared reference networks beside the checkout (not part of the repository).
private let li2021 = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("../shared/networks/li2021").standardized.path

/// Times `qrobust sdp` on Li, Drummond and Duncan's 1-10-10-1 pairs over
/// [−1, 1]: one SDP (their formulation plus the Bounds module's ranges) and
/// 16 boxes, with each choice of pair constraints, and with diagonal pairs
/// also on layer blocks (``LMIDecomposition/layers``).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal], maxDuration: .seconds(10), maxIterations: 20)
    guard FileManager.default.fileExists(atPath: li2021) else {
        print("SKIPPED: \(li2021) not found; the SDP suite needs ../shared/networks")
        return
    }
    let region = InputRegion(lower: [Rational(-1)], upper: [Rational(1)])
    let cases = [("quantised c=2^-2", "quant_original", "quant_q2", Rational(1, 4)),
                 ("pruned", "prune_original", "prune_pruned", Rational.zero)]
    for (name, a, b, c) in cases {
        let f = try! NetworkFile.load("\(li2021)/\(a).nnet"), g = try! NetworkFile.load("\(li2021)/\(b).nnet")
        let variants = NeuronPairs.allCases.map { ($0, LMIDecomposition.none) } + [(.diagonal, .layers)]
        for (pairs, decomposition) in variants {
            for boxes in [1, 16] {
                let query = SDPQuery(original: f, compressed: g, region: region, inputQuantization: c, pairs: pairs,
                                     decomposition: decomposition, boxes: boxes)
                let blocks = decomposition == .layers ? " layer blocks" : ""
                Benchmark("sdp li2021 \(name) \(pairs)\(blocks) \(boxes) box\(boxes == 1 ? "" : "es")") { benchmark in
                    for _ in benchmark.scaledIterations {
                        blackHole(try SDPErrorBound.compute(query))
                    }
                }
            }
        }
    }
}
