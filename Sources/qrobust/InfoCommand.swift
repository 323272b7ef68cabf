import ArgumentParser
import Foundation
import NeuralNetwork

/// `qrobust info`: what a model file holds.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a model's layers, activations, parameter count and input normalisation.",
        discussion: """
            For ONNX files it also lists how each node was read (folded into a layer, into the \
            input normalisation, or shape only) and the nodes the output does not depend on, \
            such as a classifier's label branch.

            Examples:
              qrobust info Examples/moons-relu.json
              qrobust info model.onnx --json
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Flag(help: "Print as JSON.")
    var json = false

    func run() throws {
        try reportingErrors {
            let loaded = try modelOptions.open()
            let summary = NetworkSummary(network: loaded.network, model: modelOptions.model, provenance: loaded.provenance,
                                         quantizers: loaded.quantizers)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(summary), as: UTF8.self))
            } else {
                print(summary.text)
            }
        }
    }
}
