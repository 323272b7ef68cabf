import ExactArithmetic
import NeuralNetwork
import Testing
@testable import Compression

@Suite("Compression")
struct CompressionTests {
    @Test("fixed point rounds to multiples of 2^-k, by hand")
    func fixedPoint() throws {
        let nearest = try FixedPoint(fractionalBits: 2, rounding: .nearest)
        #expect([0.3, -0.3, 0.125, -0.125, 0.374, 1.0].map(nearest.round) == [0.25, -0.25, 0.25, -0.25, 0.25, 1.0])
        let truncate = try FixedPoint(fractionalBits: 2, rounding: .truncate)
        #expect([0.3, -0.3, 0.49, -0.74].map(truncate.round) == [0.25, -0.25, 0.25, -0.5])
        #expect(nearest.maximumError == 0.125 && truncate.maximumError == 0.25)
        #expect(nearest.round(-0.1).sign == .plus)  // −0.0 normalised to 0
        #expect(throws: CompressionError.self) { try FixedPoint(fractionalBits: -1) }
        #expect(throws: CompressionError.self) { try FixedPoint(fractionalBits: 53) }
    }

    @Test("float16 rounding agrees with Swift's own Float16 conversion", arguments: [0.1, -0.3333333, 1e-6, 6e-5, 3e-8, 65519.0, -2.5e-7, 1.0009765625])
    func float16(_ value: Double) throws {
        #if arch(x86_64) || arch(arm64)
        #expect(try FloatFormat.float16.round(value) == Double(Float16(value)))
        #endif
    }

    @Test("float16 overflow is an error, not infinity")
    func overflow() {
        #expect(throws: CompressionError.self) { try FloatFormat.float16.round(70000) }
    }

    @Test("bfloat16 keeps 8 significant bits")
    func bfloat16() throws {
        #expect(try FloatFormat.bfloat16.round(1 + 1.0 / 256) == 1)  // tie to even
        #expect(try FloatFormat.bfloat16.round(1 + 3.0 / 256) == 1 + 1.0 / 64)
        #expect(try FloatFormat.bfloat16.round(3.14159) == 3.140625)
    }

    @Test("every concrete rounding lies inside its perturbation set", arguments: [0.7, -0.0001, 1e-7, 12.34, -3e-9])
    func concreteInsideSet(_ w: Double) throws {
        let network = try Network(inputSize: 1, layers: [DenseLayer(weights: [[w]], biases: [-w / 3], activation: .identity)])
        for bits in [0, 3, 8, 20] {
            for rounding in Rounding.allCases {
                let scheme = try FixedPoint(fractionalBits: bits, rounding: rounding)
                #expect(scheme.perturbationSet.firstViolation(of: try scheme.apply(to: network).exactLayers, around: network) == nil)
            }
        }
        for format in FloatFormat.allCases {
            #expect(format.perturbationSet.firstViolation(of: try format.apply(to: network).exactLayers, around: network) == nil)
        }
        // And a parameter just outside is caught.
        var outside = network.exactLayers
        outside[0].biases[0] += Rational(exactly: 0.25)! + Rational(1, 1 << 20)
        #expect(try FixedPoint(fractionalBits: 1, rounding: .nearest).perturbationSet.firstViolation(of: outside, around: network) == "layers[0].biases[0]")
    }

    @Test("a compressed file must match inputs, outputs and input normalisation")
    func concreteShapes() throws {
        let a = try Network(inputSize: 2, layers: [DenseLayer(weights: [[1, 1]], biases: [0], activation: .identity)])
        let b = try Network(inputSize: 1, layers: [DenseLayer(weights: [[1]], biases: [0], activation: .identity)])
        #expect(throws: CompressionError.self) { try CompressionModel.concrete(b, comparedWith: a) }
        let wider = try Network(inputSize: 2, layers: [DenseLayer(weights: [[1, 0], [0, 1]], biases: [0, 0], activation: .relu),
                                                       DenseLayer(weights: [[1, 1]], biases: [0], activation: .identity)])
        #expect(try CompressionModel.concrete(wider, comparedWith: a) == .concrete(wider))
    }
}
