import ExactArithmetic
import Foundation
import TestSupport
import Testing
@testable import NeuralNetwork

/// A 2-2-1 .nnet written by hand: h = relu([[1, -1], [0.5, 0.25]]·x' + [0, 1]), z = [2, -3]·h + 0.5,
/// with x' = (x − [1, 0]) / [2, 1].
let handNNet = """
// a comment
2,2,1,2,
2,2,1,
0,
-10,-10,
10,10,
1,0,0,
2,1,1,
1,-1,
0.5,0.25,
0,
1,
2,-3,
0.5,
"""

@Suite("Model formats")
struct FormatTests {
    @Test(".nnet: header, normalisation and layers read as written; exact evaluation by hand")
    func parseNNet() throws {
        let network = try NNetFormat.parse(handNNet, file: "hand.nnet")
        #expect(network.inputSize == 2 && network.outputSize == 1 && network.hiddenSizes == [2])
        #expect(network.layers[0].activation == .relu && network.layers[1].activation == .identity)
        // x = (3, 1): x' = (1, 1); u = (0, 1.75); h = (0, 1.75); z = −5.25 + 0.5 = −4.75.
        #expect(network.exactLogits(at: [Rational(3), Rational(1)]) == [Rational(-19, 4)])
        #expect(network.logits(at: [3, 1]) == [-4.75])
        // Clamping: x1 = 50 is clamped to 10 first: x' = (4.5, 1), u = (3.5, 3.5), z = 7 − 10.5 + 0.5 = −3.
        #expect(network.exactLogits(at: [Rational(50), Rational(1)]) == [Rational(-3)])
    }

    @Test(".nnet lines may end in LF, CRLF or CR, with spaces, tabs or other whitespace around the numbers; line numbers stay right")
    func nnetLineEndings() throws {
        let reference = try NNetFormat.parse(handNNet)
        for ending in ["\r\n", "\r"] {
            let text = handNNet.replacingOccurrences(of: "\n", with: ending)
            #expect(try NNetFormat.parse(text) == reference, "line ending \(Array(ending.unicodeScalars))")
            let bad = text.replacingOccurrences(of: "0.5,0.25,", with: "nan,0.25,")
            #expect(throws: ModelError.self) { try NNetFormat.parse(bad, file: "bad.nnet") }
            do { _ = try NNetFormat.parse(bad, file: "bad.nnet") } catch {
                #expect("\(error)".contains("line 10: nan is not a finite number"), "\(error)")
            }
        }
        let spaced = handNNet.replacingOccurrences(of: "0.5,0.25,", with: " \t0.5 , 0.25\t,  ")
        #expect(try NNetFormat.parse(spaced) == reference)
        // Other whitespace (a no-break space, an ideographic space) is trimmed too.
        let unicode = handNNet.replacingOccurrences(of: "0.5,0.25,", with: "\u{00A0}0.5\u{3000},0.25 \u{00A0},")
        #expect(try NNetFormat.parse(unicode) == reference)
    }

    @Test(".nnet lines of plain numbers read in one pass as Double(_:) reads each field; anything else goes field by field")
    func plainNumberLines() throws {
        var rng = SeededGenerator(seed: 11)
        let forms: [(Double) -> String] = [{ "\($0)" }, { String(format: "%.17g", $0) }, { String(format: "%.3e", $0) },
                                           { String(format: "%a", $0) }, { String(Int(Swift.max(-1e15, Swift.min(1e15, $0 * 1000)))) }]
        for _ in 0..<300 {
            let values = (0..<Int.random(in: 1...8, using: &rng)).map { _ in
                Double.random(in: -1...1, using: &rng) * pow(10, Double(Int.random(in: -30...30, using: &rng)))
            }
            let fields = values.map { forms.randomElement(using: &rng)!($0) }
            let spaces = [" ", "", "\t", "  "]
            var line = fields.map { spaces.randomElement(using: &rng)! + $0 + spaces.randomElement(using: &rng)! }.joined(separator: ",")
            if Bool.random(using: &rng) { line += "," }
            let expected = fields.map { Double($0)! }
            #expect(NNetFormat.plainNumbers(Substring(line)) == expected, "\(line)")
        }
        for other in ["1,,2", "1,x", "nan,1", "1,inf", "1e400", "0.5;0.25", "1 2", ",1", "", "1,\u{00A0}2", "0x", "1.5abc"] {
            #expect(NNetFormat.plainNumbers(Substring(other)) == nil, "\(other)")
        }
    }

    @Test(".nnet and JSON round trips keep every weight bit for bit")
    func roundTrips() throws {
        var rng = SystemRandomNumberGenerator()
        let layers = [
            DenseLayer(weights: (0..<3).map { _ in (0..<2).map { _ in Double.random(in: -1...1, using: &rng) } },
                       biases: [1e-05, -0.1, 5e-300], activation: .identity),
            DenseLayer(weights: [[0.1, -1.0 / 3, Double.leastNonzeroMagnitude]], biases: [123456.789], activation: .identity),
        ]
        let network = try Network(inputSize: 2, layers: layers, output: .sigmoid)
        let viaNNet = try NNetFormat.parse(NNetFormat.render(network))
        #expect(viaNNet.layers == network.layers && viaNNet.output == .sigmoid)
        let viaJSON = try JSONFormat.parse(JSONFormat.render(network))
        #expect(viaJSON == network)
    }

    @Test("bad .nnet files give one error naming the file, the line and the problem", arguments: [
        ("2,2,1,2,\n2,2,1,\n0,\n-10,-10,\n10,10,\n1,0,0,\n2,1,1,\n1,-1,\n", "the file ends before"),
        (handNNet.replacingOccurrences(of: "0.5,0.25,", with: "nan,0.25,"), "line 10: nan is not a finite number"),
        (handNNet.replacingOccurrences(of: "0.5,0.25,", with: "0.5,"), "line 10: expected 2 numbers for weight row 1 of layer 0, found 1"),
        (handNNet.replacingOccurrences(of: "2,-3,", with: "2,x,"), "'x' is not a number"),
        (handNNet + "\n7,\n", "unexpected data after the last layer"),
        (handNNet + "7,\n", "line 14: expected 1 numbers for bias 0 of layer 1, found 2"),
        (handNNet.replacingOccurrences(of: "2,2,1,\n", with: "2,2,2,\n"), "disagree with the header"),
        ("// only a comment\n", "the file ends before the header"),
    ])
    func badNNet(_ text: String, _ expected: String) {
        do {
            _ = try NNetFormat.parse(text, file: "bad.nnet")
            Issue.record("parsed a bad file")
        } catch let error as ModelError {
            #expect(error.description.hasPrefix("bad.nnet: "))
            #expect(error.description.contains(expected), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("bad JSON models name the place in the document", arguments: [
        (#"{"inputSize": 2, "layers": [{"activation": "relu", "weights": [[1, 2], [3]], "biases": [0, 0]}]}"#, "layers[0].weights[1]: expected 2 weights"),
        (#"{"inputSize": 1, "layers": [{"activation": "relu", "weights": [["a"]], "biases": [0]}]}"#, "layers[0].weights[0][0]"),
        (#"{"inputSize": 1, "layers": [{"activation": "tanh", "weights": [[1]], "biases": [0]}]}"#, "layers[0].activation"),
        (#"{"inputSize": 1, "output": "sigmoid", "layers": [{"activation": "identity", "weights": [[1], [2]], "biases": [0, 0]}]}"#, "a sigmoid output needs exactly 1 output"),
        (#"{"inputSize": 1, "layers": []}"#, "the network has no layers"),
        (#"{"inputSize": 1, "layers": [{"activation": "relu", "weights": [[1e400]], "biases": [0]}]}"#, "not valid JSON"),
        (#"{"inputSize": 1, "#, "not valid JSON"),
    ])
    func badJSON(_ text: String, _ expected: String) {
        do {
            _ = try JSONFormat.parse(Data(text.utf8), file: "bad.json")
            Issue.record("parsed a bad file")
        } catch let error as ModelError {
            #expect(error.description.hasPrefix("bad.json: "))
            #expect(error.description.contains(expected), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    static let sharedRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../shared/networks").standardized.path

    @Test("the shared reference networks load",
          .enabled(if: FileManager.default.fileExists(atPath: FormatTests.sharedRoot), "needs ../shared/networks"))
    func sharedNetworks() throws {
        let root = Self.sharedRoot
        let acas = try NetworkFile.load(root + "/acasxu/ACASXU_run2a_1_1_batch_2000.nnet")
        #expect(acas.inputSize == 5 && acas.outputSize == 5 && acas.hiddenSizes == Array(repeating: 50, count: 6))
        let f16 = try NetworkFile.load(root + "/acasxu/ACASXU_run2a_1_1_float16.nnet")
        #expect(InputNormalization.sameInputMapping(acas.normalization, f16.normalization))
        let mnist = try NetworkFile.load(root + "/mnist/mnist_relu_3_100.nnet")
        #expect(mnist.inputSize == 784 && mnist.outputSize == 10 && mnist.hiddenSizes == [100, 100, 10])  // the file is 784-100-100-10-10
        for name in ["tiny", "small", "mid", "big"] {
            let f = try NetworkFile.load(root + "/diff2d/\(name)_f.nnet")
            // The grid reference: tiny's |f − g| at (1, 1.5) is 0.082637.
            if name == "tiny" {
                let g = try NetworkFile.load(root + "/diff2d/tiny_g.nnet")
                let d = (f.exactLogits(at: [Rational(1), Rational(3, 2)])[0] - g.exactLogits(at: [Rational(1), Rational(3, 2)])[0]).magnitude
                #expect(abs(d.approximateDouble - 0.082637) < 5e-7)
            }
            #expect(f.inputSize == 2)
        }
    }
}
