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

/// Times `qrobust local` on the bundled two-moons examples: the maximal
/// confidence deviation at one input, for the perturbation set of 8 fractional
/// bits (Lemma encoding, QF_LRA) and for the concrete 8-bit network.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal], maxDuration: .seconds(10), maxIterations: 50)
    let input = [Rational(1, 2), Rational(1, 4)]
    for name in ["moons-relu", "moons-linear"] {
        let network = try! NetworkFile.load("\(examples)/\(name).json")
        let scheme = try! FixedPoint(fractionalBits: 8)
        Benchmark("local \(name) perturbation k=8") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try LocalRobustness.check(LocalQuery(network: network, compression: .perturbation(scheme.perturbationSet), input: input)))
            }
        }
        let rounded = try! scheme.apply(to: network)
        Benchmark("local \(name) concrete k=8") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try LocalRobustness.check(LocalQuery(network: network, compression: .concrete(rounded), input: input)))
            }
        }
    }
}
