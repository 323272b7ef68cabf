import ArgumentParser
import Compression
import Foundation
import NeuralNetwork

/// `qrobust quantize`: writes the rounded network.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Round every weight and bias and write the compressed network (.onnx, .nnet or .json).",
        discussion: """
            Examples:
              qrobust quantize Examples/moons-relu.json --bits 4 -o /tmp/moons-relu-q4.json
              qrobust quantize net.nnet --precision float16 -o net-fp16.nnet
              qrobust quantize model.onnx --bits 6 -o model-q6.onnx
              qrobust quantize model.onnx --int 8 --per-channel -o model-int8.onnx   # QDQ: int8 + DequantizeLinear

            An .onnx output is Gemm + Relu layers (opset 13) with the input normalisation as \
            Max/Min/Sub/Div and a final Sigmoid or Softmax, in float32 when every number is a \
            float32 value and float64 otherwise, so onnxruntime and other runtimes run the very \
            weights that were checked. With --int B an .onnx output holds the weights as int8 \
            (uint8 with --asymmetric) initializers for B ≤ 8, int16 (uint16) with opset 21 for \
            9 ≤ B ≤ 16, with their float32 scales and zero points, per tensor or per channel, \
            each dequantised by a DequantizeLinear before its Gemm (QDQ form; biases, \
            activations and inputs stay float32). A runtime computes (q − z)·s in float32, \
            which can round it; qrobust reads the file back with the exact values. A bias or \
            normalisation constant that is not a float32 number, and .nnet and .json outputs: \
            the dequantised values (q − z)·s.
            """)

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup var scheme: RoundingOptions

    @Option(name: [.short, .customLong("output-file")], help: "Where to write the rounded network; the extension (.onnx, .nnet or .json) picks the format.")
    var outputFile: String

    @Flag(help: "Print a JSON summary instead of a sentence.")
    var json = false

    func validate() throws {
        guard scheme.schemeCount == 1 else {
            throw ValidationError("Choose exactly one of --bits K, --precision float16|bfloat16 or --int B.")
        }
        guard NetworkFile.Format(path: outputFile) != nil else {
            throw ValidationError("-o must end in .onnx, .nnet or .json, found '\(outputFile)'.")
        }
    }

    func run() throws {
        try reportingErrors {
            let network = try modelOptions.load()
            guard let (rounded, scheme) = try self.scheme.round(network) else {
                throw ValidationError("Choose exactly one of --bits K, --precision float16|bfloat16 or --int B.")
            }
            // Integer weights go to ONNX as stored integers (QDQ), whose graph computes in
            // float32: the other numbers must be float32 values.
            let stored = try self.scheme.integer.flatMap { scheme -> [StoredIntegerWeights]? in
                guard NetworkFile.Format(path: outputFile) == .onnx,
                      rounded.constantsBesideWeights.allSatisfy({ Double(Float($0)) == $0 }) else { return nil }
                return try scheme.integerWeights(of: network)
            }
            try NetworkFile.write(rounded, to: outputFile, integerWeights: stored)
            let changed = zip(network.layers, rounded.layers).reduce(0) { count, pair in
                count + zip(pair.0.weights.joined(), pair.1.weights.joined()).filter { $0 != $1 }.count
                    + zip(pair.0.biases, pair.1.biases).filter { $0 != $1 }.count
            }
            if json {
                let summary = ["model": modelOptions.model, "outputFile": outputFile, "scheme": scheme,
                               "parametersChanged": "\(changed)", "parameters": "\(network.parameterCount)"]
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(summary), as: UTF8.self))
            } else {
                let qdq = stored.map { $0.allSatisfy(\.fitsEightBits) ? "8-bit integers with DequantizeLinear (QDQ)"
                                                                      : "16-bit integers with DequantizeLinear (QDQ, opset 21)" }
                print("wrote \(outputFile): \(scheme), \(changed) of \(network.parameterCount) parameters changed"
                      + (qdq.map { "; weights as \($0)" } ?? ""))
            }
        }
    }
}
