import BigInt
import ExactArithmetic
import Foundation
import NeuralNetwork
import TestSupport
import Testing

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/qdq").path

/// QDQ models written by `onnxruntime.quantization.quantize_static`
/// (scripts/make-quantized-fixtures.py): qrobust's exact integer evaluation
/// against the integers ONNX Runtime computed, on 10,000 inputs per model.
@Suite("Quantised (QDQ) ONNX models")
struct QuantizedModelTests {
    /// The fixture's inputs, drawn as the script draws them: SplitMix64, the top
    /// 20 bits u of each draw, input `low + width·u / 2^20` (exact in float32).
    static func inputs(seed: UInt64, lows: [Int], widths: [Int], rows: Int) -> [[Rational]] {
        var rng = SeededGenerator(seed: seed)
        return (0..<rows).map { _ in
            zip(lows, widths).map { low, width in
                let u = Int(rng.next() >> 44)
                return Rational(low * (1 << 20) + width * u, 1 << 20)
            }
        }
    }

    /// ONNX Runtime's integers of the logits, one row per input.
    static func runtimeRows(_ name: String) throws -> [[Int]] {
        let text = try String(contentsOfFile: "\(fixtures)/\(name).ort.csv", encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            line.split(separator: ",").map { Int($0)! }
        }
    }

    /// The moons-sized models are checked on all 10,000 inputs of their fixture; the
    /// MNIST-sized ones on the first 1,000 here (exact arithmetic on 784 inputs is slow
    /// in a debug build), and on all 10,000 with `QROBUST_QDQ_ROWS=10000`
    /// (scripts/measure-qdq.sh runs that in a release build).
    @Test("the exact integer evaluation gives ONNX Runtime's logits; every difference is a rounding tie within 2^-10 of a step",
          arguments: [
            ("sklearn_moons_qdq_per_tensor", UInt64(20261130), [-2, -2], [5, 4], 10_000),
            ("sklearn_moons_qdq_per_channel", 20261130, [-2, -2], [5, 4], 10_000),
            ("torch_mnist_qdq_per_tensor", 20261131, Array(repeating: 0, count: 784), Array(repeating: 1, count: 784), 1_000),
            ("torch_mnist_qdq_per_channel", 20261131, Array(repeating: 0, count: 784), Array(repeating: 1, count: 784), 1_000),
          ])
    func matchesRuntime(name: String, seed: UInt64, lows: [Int], widths: [Int], count: Int) throws {
        let loaded = try NetworkFile.open("\(fixtures)/\(name).onnx")
        let network = try #require(loaded.quantized, "\(name) has no activation quantizers")
        let last = try #require(network.logitQuantizer)
        let all = try Self.runtimeRows(name)
        #expect(all.count == 10_000)
        let rows = Array(all.prefix(ProcessInfo.processInfo.environment["QROBUST_QDQ_ROWS"].flatMap { Int($0) }.map { max($0, count) } ?? count))
        let inputs = Self.inputs(seed: seed, lows: lows, widths: widths, rows: rows.count)
        var matches = 0, explained = 0, saturated = 0
        let step = Rational(1, 1 << 10)
        for (x, expected) in zip(inputs, rows) {
            let ours = network.exactLogits(at: x).map(last.quantize)
            if ours.contains(where: { $0 == last.lowest || $0 == last.highest }) { saturated += 1 }
            if ours == expected {
                matches += 1
            } else {
                // How close the exact value entering any quantizer comes to a tie k + 1/2 (in steps).
                var closest = Rational(1)
                _ = network.exactLogits(at: x) { _, q, value in
                    let t = value / q.scale
                    closest = Rational.min(closest, (t - Rational(t.floor) - Rational(1, 2)).magnitude)
                }
                #expect(closest < step, "input \(x.map(\.approximateDouble).prefix(4))…: qrobust \(ours), ONNX Runtime \(expected), no rounding tie within 2^-10")
                if closest < step { explained += 1 }
            }
        }
        print("\(name): \(matches) of \(rows.count) match exactly; \(explained) differ at a rounding tie; \(saturated) saturate")
        #expect(matches >= rows.count * 99 / 100, "\(name): only \(matches) of \(rows.count) match")
    }

    /// The definition, term by term in rationals: quantizers at their positions,
    /// `(clamp(roundHalfEven(x / s) + z) − z)·s`.
    static func reference(_ q: QuantizedNetwork, at x: [Rational]) -> [Rational] {
        func apply(_ v: [Rational], _ p: QuantizedNetwork.Position) -> [Rational] {
            guard let quantizer = q.quantizers[p] else { return v }
            return v.map { value in
                var k = Quantizer.roundHalfEven(value / quantizer.scale) + BigInt(quantizer.zeroPoint)
                k = Swift.min(Swift.max(k, BigInt(quantizer.lowest)), BigInt(quantizer.highest))
                return (Rational(k) - Rational(quantizer.zeroPoint)) * quantizer.scale
            }
        }
        var h = apply(x, .input)
        for (l, layer) in q.network.exactLayers.enumerated() {
            var u = apply(layer.weights.map { row in zip(row, h).map { $0 * $1 }.sum() }, .product(l))
            u = apply(zip(u, layer.biases).map { $0 + $1 }, .preActivation(l))
            if layer.activation == .relu { u = u.map { Rational.max($0, .zero) } }
            h = apply(u, .output(l))
        }
        return h
    }

    @Test("the evaluation (int64 accumulation where it can) equals the definition term by term",
          arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func evaluationIsTheDefinition(_ seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        // Weights (q − z)·s with int8 q and a dyadic scale per row (the integer path), or
        // arbitrary binary64 numbers on odd seeds' first layer (the rational path).
        let sizes = [3, 7, 5, 2]
        let layers = (0..<3).map { l in
            DenseLayer(weights: (0..<sizes[l + 1]).map { _ in
                let scale = Double(Int.random(in: 1...255, using: &rng)) * 0x1p-12
                return (0..<sizes[l]).map { _ in
                    seed % 2 == 1 && l == 0 ? Double.random(in: -1...1, using: &rng) : Double(Int.random(in: -128...127, using: &rng)) * scale
                }
            }, biases: (0..<sizes[l + 1]).map { _ in Double(Int.random(in: -500...500, using: &rng)) * 0x1p-10 },
            activation: l < 2 ? .relu : .identity)
        }
        let network = try Network(inputSize: 3, layers: layers, output: .softmax)
        func quantizer(zero: Int) -> Quantizer {
            Quantizer(scale: Rational(Int.random(in: 1...200, using: &rng), 1 << 10), zeroPoint: zero, lowest: -128, highest: 127)
        }
        var quantizers: [QuantizedNetwork.Position: Quantizer] = [.input: quantizer(zero: 3)]
        for l in 0..<3 {
            if Bool.random(using: &rng) { quantizers[.product(l)] = quantizer(zero: Int.random(in: -20...20, using: &rng)) }
            if Bool.random(using: &rng) || l == 2 { quantizers[.preActivation(l)] = quantizer(zero: l < 2 ? -128 : 0) }
            if Bool.random(using: &rng) { quantizers[.output(l)] = quantizer(zero: -128) }
        }
        let q = QuantizedNetwork(network: network, quantizers: quantizers)
        for _ in 0..<200 {
            let x = (0..<3).map { _ in Rational(Int.random(in: -3000...3000, using: &rng), 1000) }
            #expect(q.exactLogits(at: x) == Self.reference(q, at: x))
        }
    }

    @Test("round half to even: ties go to the even integer, everything else to the nearest")
    func roundsHalfToEven() {
        let cases: [(Rational, Int)] = [
            (Rational(5, 2), 2), (Rational(7, 2), 4), (Rational(-5, 2), -2), (Rational(-7, 2), -4),
            (Rational(1, 2), 0), (Rational(-1, 2), 0), (Rational(251, 100), 3), (Rational(-249, 100), -2), (Rational(3), 3),
        ]
        for (x, expected) in cases {
            #expect(Quantizer.roundHalfEven(x) == BigInt(expected), "\(x)")
        }
        let int8 = Quantizer(scale: Rational(1, 10), zeroPoint: -128, lowest: -128, highest: 127)
        #expect(int8.quantize(Rational(-5)) == -128)  // clamps: a ReLU at the zero point
        #expect(int8.apply(Rational(-5)) == .zero)
        #expect(int8.quantize(Rational(100)) == 127)
        #expect(int8.apply(Rational(1, 20)) == .zero)  // 0.5 steps: a tie, to even (0)
        #expect(int8.apply(Rational(3, 20)) == Rational(2, 10))  // 1.5 steps: to 2
    }
}

