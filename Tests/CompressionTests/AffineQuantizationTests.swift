import ExactArithmetic
import NeuralNetwork
import TestSupport
import Testing
@testable import Compression

/// Affine integer quantisation against hand-worked values whose scales are
/// exact powers of two, so every step can be checked on paper.
@Suite("Affine integer quantisation")
struct AffineQuantizationTests {
    static func network(_ weights: [[Double]]) throws -> Network {
        try Network(inputSize: weights[0].count, layers: [
            DenseLayer(weights: weights, biases: weights.map { _ in 0.1 }, activation: .identity),
        ], output: .logits)
    }

    @Test("symmetric int8 per tensor: s = max|w|/127.5, ties to even, saturation at 127; biases untouched")
    func symmetricPerTensor() throws {
        // max|w| = 127.5/64, so s = 1/64 exactly.
        let scheme = try AffineQuantization(bits: 8)
        #expect(scheme.range == -128...127)
        let weights: [[Double]] = [[1.9921875, -1.9921875], [0.5078125, 0.5234375]]
        #expect(scheme.parameters(for: weights.flatMap { $0 }) == (scale: 1.0 / 64, zeroPoint: 0))
        let rounded = try scheme.apply(to: try Self.network(weights))
        // 127.5 → 128 (even) → saturates to 127; −127.5 → −128; 32.5 → 32; 33.5 → 34.
        #expect(rounded.layers[0].weights == [[127.0 / 64, -2.0], [0.5, 34.0 / 64]])
        #expect(rounded.layers[0].biases == [0.1, 0.1])
    }

    @Test("restricted range [−127, 127] and asymmetric [0, 255] with a zero point")
    func restrictedAndAsymmetric() throws {
        let restricted = try AffineQuantization(bits: 8, restrictedRange: true)
        #expect(restricted.range == -127...127)
        #expect(restricted.parameters(for: [1.984375, -0.5]) == (scale: 1.0 / 64, zeroPoint: 0))  // 127/64 over 127
        // min −0.5, max 3.484375: span 255/64, so s = 1/64 and z = 0 − round(−32) = 32.
        let asymmetric = try AffineQuantization(bits: 8, symmetric: false)
        #expect(asymmetric.range == 0...255)
        let (scale, zero) = asymmetric.parameters(for: [-0.5, 3.484375, 0.1])
        #expect(scale == 1.0 / 64 && zero == 32)
        #expect(asymmetric.quantize(3.484375, scale: scale, zeroPoint: zero) == 255)
        #expect(asymmetric.quantize(-0.5, scale: scale, zeroPoint: zero) == 0)
        #expect(asymmetric.quantize(0.1, scale: scale, zeroPoint: zero) == 38)  // 6.4 → 6, + 32
        #expect(asymmetric.quantize(1e9, scale: scale, zeroPoint: zero) == 255)  // saturates without trapping
        #expect(throws: CompressionError.self) { try AffineQuantization(bits: 8, symmetric: false, restrictedRange: true) }
        #expect(throws: CompressionError.self) { try AffineQuantization(bits: 1) }
        #expect(throws: CompressionError.self) { try AffineQuantization(bits: 17) }
    }

    @Test("per channel: each row its own scale")
    func perChannel() throws {
        let weights: [[Double]] = [[1.9921875, 0.5], [0.99609375, -0.25]]  // 127.5/64 and 127.5/128
        let scheme = try AffineQuantization(bits: 8, perChannel: true)
        let rounded = try scheme.apply(to: try Self.network(weights))
        #expect(rounded.layers[0].weights == [[127.0 / 64, 0.5], [127.0 / 128, -0.25]])
        // Per tensor the second row shares the first row's step 1/64: 63.75 → 64.
        let perTensor = try AffineQuantization(bits: 8).apply(to: try Self.network(weights))
        #expect(perTensor.layers[0].weights[1] == [1.0, -0.25])
        guard case .explicit(let radii, let biases) = try scheme.perturbationSet(for: try Self.network(weights)) else {
            Issue.record("not an explicit set"); return
        }
        #expect(radii[0] == [[Rational(1, 128), Rational(1, 128)], [Rational(1, 256), Rational(1, 256)]])
        #expect(biases[0] == [.zero, .zero])
    }

    @Test("the rounded network lies in the perturbation set, every radius is at least half a step, and saturation widens it",
          arguments: [(8, false, true), (8, true, true), (4, true, false), (3, false, false), (16, true, true)])
    func roundedIsMember(bits: Int, perChannel: Bool, symmetric: Bool) throws {
        let network = TestNetworks.random(sizes: [3, 6, 2], hidden: .relu, output: .logits, seed: UInt64(bits))
        let scheme = try AffineQuantization(bits: bits, perChannel: perChannel, symmetric: symmetric)
        let rounded = try scheme.apply(to: network)
        let set = try scheme.perturbationSet(for: network)
        #expect(set.fits(network))
        #expect(set.firstViolation(of: rounded.exactLayers, around: network) == nil)
        // A parameter moved by a little more than its radius is outside.
        var outside = rounded.exactLayers
        let radius = set.radius(of: network.layers[0].weights[0][0], at: .init(layer: 0, row: 0, column: 0))
        outside[0].weights[0][0] = Rational(exactly: network.layers[0].weights[0][0])! + radius + Rational(1, 1 << 40)
        #expect(set.firstViolation(of: outside, around: network) == "layers[0].weights[0][0]")
    }

    @Test("sampled: every per-channel rounding (random networks, widths 2–16, all three ranges) lies in its set")
    func perChannelRoundingsAreMembers() throws {
        var rng = SeededGenerator(seed: 1430)
        for seed in 0..<60 {
            let sizes = [Int.random(in: 1...5, using: &rng), Int.random(in: 1...8, using: &rng), Int.random(in: 1...3, using: &rng)]
            let network = TestNetworks.random(sizes: sizes, hidden: .relu, output: .logits, seed: UInt64(100 + seed))
            let bits = Int.random(in: 2...16, using: &rng)
            let (symmetric, restricted) = [(true, false), (true, true), (false, false)][seed % 3]
            let scheme = try AffineQuantization(bits: bits, perChannel: true, symmetric: symmetric, restrictedRange: restricted)
            let set = try scheme.perturbationSet(for: network)
            #expect(set.firstViolation(of: try scheme.apply(to: network).exactLayers, around: network) == nil,
                    "\(scheme) on seed \(seed)")
        }
    }

    @Test("per channel is narrower than per tensor where the channels' ranges differ, and never wider",
          arguments: [2, 4, 8, 12])
    func perChannelIsNarrower(bits: Int) throws {
        // Row 0 spans ±2, row 1 only ±0.01: per tensor, row 1 gets row 0's step.
        let network = try Self.network([[2, -1.3, 0.7], [0.01, -0.004, 0.0077]])
        guard case .explicit(let channel, _) = try AffineQuantization(bits: bits, perChannel: true).perturbationSet(for: network),
              case .explicit(let tensor, _) = try AffineQuantization(bits: bits).perturbationSet(for: network) else {
            Issue.record("not explicit sets"); return
        }
        for (a, b) in zip(channel[0].joined(), tensor[0].joined()) { #expect(a <= b) }
        for (a, b) in zip(channel[0][1], tensor[0][1]) { #expect(a * Rational(100) < b, "row 1: \(a) against \(b)") }
    }

    @Test("a weight, or a span of weights, beyond float32's range is one clear error")
    func beyondFloat32() throws {
        #expect(throws: CompressionError.self) { try AffineQuantization(bits: 8).apply(to: try Self.network([[1e300, 1]])) }
        // Each weight fits float32, but their span does not: an asymmetric scale would be infinite.
        #expect(throws: CompressionError.self) {
            try AffineQuantization(bits: 8, symmetric: false).perturbationSet(for: try Self.network([[3e38, -3e38]]))
        }
    }
}
