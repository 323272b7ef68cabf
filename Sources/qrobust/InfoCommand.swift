import ArgumentParser
import Foundation
import NeuralNetwork

/// `qrobust info`: what a model file holds.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a model's layers, activations, parameter count and input normalisation.")

    @OptionGroup var modelOptions: ModelOptions

    @Flag(help: "Print as JSON.")
    var json = false

    func run() throws {
        try reportingErrors {
            let summary = NetworkSummary(network: try modelOptions.load(), model: modelOptions.model)
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
