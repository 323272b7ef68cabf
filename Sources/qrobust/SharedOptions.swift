import ArgumentParser
import Compression
import ExactArithmetic
import NeuralNetwork

/// The model file and how to read its outputs.
struct ModelOptions: ParsableArguments {
    @Argument(help: "The network: a .nnet or .json file.")
    var model: String

    @Option(help: "Override the output kind: sigmoid (1 output), softmax (≥ 2) or logits. .nnet files say logits unless they carry a qrobust-output line.")
    var output: OutputKind?

    /// Loads the model and applies the output override.
    func load() throws -> Network {
        let network = try NetworkFile.load(model)
        guard let output else { return network }
        do { return try network.withOutput(output) } catch let error as ModelError { throw error.inFile(model) }
    }
}

/// Which compressed network(s) the original is compared with.
struct CompressionOptions: ParsableArguments {
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case perturbation, concrete
    }

    @Option(help: "Fixed point with this many fractional bits (0–52).")
    var bits: Int?

    @Option(help: "Rounding for --bits: nearest (error ≤ 2^-(K+1)) or truncate (toward zero, error < 2^-K).")
    var rounding: Rounding = .nearest

    @Option(help: "Floating-point storage format: float16 or bfloat16 (round to nearest even).")
    var precision: FloatFormat?

    @Option(name: [.customLong("model")],
            help: "For --bits/--precision: perturbation (every parameter anywhere within its rounding error; the default) or concrete (the one rounded network).")
    var kind: Kind = .perturbation

    @Option(help: "A second model file to compare with (same inputs and outputs; hidden sizes may differ).")
    var compressed: String?

    func validate() throws {
        let chosen = [bits != nil, precision != nil, compressed != nil].filter { $0 }.count
        guard chosen == 1 else {
            throw ValidationError("Choose exactly one compression: --bits K, --precision float16|bfloat16, or --compressed FILE.")
        }
        if let bits, !FixedPoint.supportedBits.contains(bits) {
            throw ValidationError("--bits must be between 0 and 52, found \(bits).")
        }
    }

    /// The compression model and a one-line description of it.
    func resolve(for network: Network) throws -> (model: CompressionModel, description: String) {
        if let compressed {
            let other = try NetworkFile.load(compressed)
            return (try .concrete(other, comparedWith: network), "compared with \(compressed)")
        }
        if let bits {
            let scheme = try FixedPoint(fractionalBits: bits, rounding: rounding)
            switch kind {
            case .concrete: return (.concrete(try scheme.apply(to: network)), "concrete network, \(scheme)")
            case .perturbation: return (.perturbation(scheme.perturbationSet), "perturbation set \(scheme.perturbationSet) (\(scheme))")
            }
        }
        let format = precision!
        switch kind {
        case .concrete: return (.concrete(try format.apply(to: network)), "concrete network rounded to \(format)")
        case .perturbation: return (.perturbation(format.perturbationSet), "perturbation set \(format.perturbationSet) (\(format))")
        }
    }
}

extension OutputKind: ExpressibleByArgument {}
extension Rounding: ExpressibleByArgument {}
extension FloatFormat: ExpressibleByArgument {}
