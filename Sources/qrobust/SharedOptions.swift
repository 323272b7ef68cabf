import ArgumentParser
import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Z3Kit

/// The model file and how to read its outputs.
struct ModelOptions: ParsableArguments {
    @Argument(help: "The network: an .onnx, .nnet or .json file.")
    var model: String

    @Option(help: "How to read the outputs: sigmoid (1 output), softmax (≥ 2) or logits. .nnet files say logits unless they carry a qrobust-output line.")
    var outputKind: OutputKind?

    /// The old spelling of --output-kind, still accepted.
    @Option(name: .customLong("output"), help: .hidden)
    var legacyOutputKind: OutputKind?

    /// The output reading asked for, under either spelling.
    var output: OutputKind? { outputKind ?? legacyOutputKind }

    func validate() throws {
        if outputKind != nil && legacyOutputKind != nil {
            throw ValidationError("--output is the old name of --output-kind; give it once.")
        }
    }

    /// Loads the model and applies the output override.
    func load() throws -> Network {
        try open().realValued(file: model)
    }

    /// Loads the model with what reading it did, and applies the output override.
    func open() throws -> LoadedNetwork {
        var loaded = try NetworkFile.open(model)
        guard let output else { return loaded }
        do { loaded.network = try loaded.network.withOutput(output) } catch let error as ModelError { throw error.inFile(model) }
        return loaded
    }
}

/// A rounding scheme: fixed point (`--bits`, `--rounding`) or a float format (`--precision`).
struct RoundingOptions: ParsableArguments {
    @Option(help: "Fixed point with this many fractional bits (0–52).")
    var bits: Int?

    @Option(help: "Rounding for --bits: nearest (error ≤ 2^-(K+1)) or truncate (toward zero, error < 2^-K).")
    var rounding: Rounding = .nearest

    @Option(help: "Floating-point storage format: float16 or bfloat16 (round to nearest even).")
    var precision: FloatFormat?

    @Option(name: .customLong("int"),
            help: ArgumentHelp("Affine integer weights with this many bits (2–16), as PyTorch and ONNX Runtime store them: q = clamp(round(w/s) + z); one scale per weight matrix unless --per-channel. Biases stay as they are.", valueName: "bits"))
    var integerBits: Int?

    @Flag(help: "With --int: one scale (and zero point) per output channel instead of per weight matrix.")
    var perChannel = false

    @Flag(help: "With --int: unsigned range [0, 2^b − 1] with a zero point, instead of symmetric (z = 0).")
    var asymmetric = false

    @Flag(help: "With --int, symmetric: the range [−(2^(b−1) − 1), 2^(b−1) − 1] (ONNX Runtime, TFLite) instead of PyTorch's full one.")
    var restrictedRange = false

    func validate() throws {
        if let bits, !FixedPoint.supportedBits.contains(bits) {
            throw ValidationError("--bits must be between 0 and 52, found \(bits).")
        }
        if let integerBits, !AffineQuantization.supportedBits.contains(integerBits) {
            throw ValidationError("--int must be between 2 and 16, found \(integerBits).")
        }
        if integerBits == nil && (perChannel || asymmetric || restrictedRange) {
            throw ValidationError("--per-channel, --asymmetric and --restricted-range go with --int.")
        }
        if asymmetric && restrictedRange {
            throw ValidationError("--restricted-range is for symmetric quantisation; leave out --asymmetric.")
        }
    }

    /// The integer scheme asked for, if any.
    var integer: AffineQuantization? {
        get throws {
            try integerBits.map {
                try AffineQuantization(bits: $0, perChannel: perChannel, symmetric: !asymmetric, restrictedRange: restrictedRange)
            }
        }
    }

    /// How many schemes are given (exactly one is expected).
    var schemeCount: Int { [bits != nil, precision != nil, integerBits != nil].filter { $0 }.count }

    /// The rounded network and the scheme's description; nil when no scheme is given.
    func round(_ network: Network) throws -> (network: Network, scheme: String)? {
        if let bits {
            let fixed = try FixedPoint(fractionalBits: bits, rounding: rounding)
            return (try fixed.apply(to: network), fixed.description)
        }
        if let precision { return (try precision.apply(to: network), precision.description) }
        if let integer = try integer { return (try integer.apply(to: network), integer.description) }
        return nil
    }

    /// The perturbation set of the scheme around `network`, and its description; nil when no scheme is given.
    func perturbationSet(for network: Network) throws -> (set: PerturbationSet, scheme: String)? {
        if let bits {
            let fixed = try FixedPoint(fractionalBits: bits, rounding: rounding)
            return (fixed.perturbationSet, fixed.description)
        }
        if let precision { return (precision.perturbationSet, precision.description) }
        if let integer = try integer { return (try integer.perturbationSet(for: network), integer.description) }
        return nil
    }
}

/// Which compressed network(s) the original is compared with.
struct CompressionOptions: ParsableArguments {
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case perturbation, concrete
    }

    @OptionGroup var scheme: RoundingOptions

    @Option(name: .customLong("compression-model"),
            help: "For --bits/--precision: perturbation (every parameter anywhere within its rounding error; the default) or concrete (the one rounded network).")
    var kindOption: Kind?

    /// The old spelling of --compression-model, still accepted.
    @Option(name: .customLong("model"), help: .hidden)
    var legacyKind: Kind?

    /// The model of compression asked for, under either spelling.
    var kind: Kind { kindOption ?? legacyKind ?? .perturbation }

    @Option(help: "A second model file to compare with (same inputs and outputs; hidden sizes may differ). A QDQ ONNX model is compared in its exact integer arithmetic.")
    var compressed: String?

    func validate() throws {
        if kindOption != nil && legacyKind != nil {
            throw ValidationError("--model is the old name of --compression-model; give it once.")
        }
        guard scheme.schemeCount + (compressed == nil ? 0 : 1) == 1 else {
            throw ValidationError("Choose exactly one compression: --bits K, --precision float16|bfloat16, --int B, or --compressed FILE.")
        }
    }

    /// The compression model and a one-line description of it.
    func resolve(for network: Network) throws -> (model: CompressionModel, description: String) {
        if let compressed {
            let loaded = try NetworkFile.open(compressed)
            if let quantized = loaded.quantized {
                return (try .quantized(quantized, comparedWith: network),
                        "compared with \(compressed) in its integer arithmetic (\(quantized.quantizers.count) activation quantizers)")
            }
            return (try .concrete(loaded.network, comparedWith: network), "compared with \(compressed)")
        }
        if kind == .concrete, let (rounded, description) = try scheme.round(network) {
            return (.concrete(rounded), "concrete network, \(description)")
        }
        guard let (set, description) = try scheme.perturbationSet(for: network) else {
            throw ValidationError("Choose exactly one compression: --bits K, --precision float16|bfloat16, --int B, or --compressed FILE.")
        }
        return (.perturbation(set), "perturbation set \(set) (\(description))")
    }
}

extension OutputKind: ExpressibleByArgument {}
extension Rounding: ExpressibleByArgument {}
extension FloatFormat: ExpressibleByArgument {}

/// `--dump-smt DIR`: every query Z3 answers unsat, as SMT-LIB files.
struct DumpOptions: ParsableArguments {
    @Option(name: .customLong("dump-smt"),
            help: ArgumentHelp("Write every query Z3 answers unsat (each proof step behind the answer) to this folder as an SMT-LIB file, to re-check with another solver (z3 FILE prints unsat).", valueName: "dir"))
    var dumpSMT: String?

    /// Runs `body` with the dump in effect.
    func around<T>(_ body: () throws -> T) throws -> T {
        guard let dump = try makeDump() else { return try body() }
        defer { report(dump) }
        return try SMTDump.$current.withValue(dump) { try body() }
    }

    /// Runs the asynchronous `body` with the dump in effect (its child tasks inherit it).
    func around<T>(_ body: () async throws -> T) async throws -> T {
        guard let dump = try makeDump() else { return try await body() }
        defer { report(dump) }
        return try await SMTDump.$current.withValue(dump) { try await body() }
    }

    private func makeDump() throws -> SMTDump? {
        guard let dumpSMT else { return nil }
        do { return try SMTDump(directory: URL(fileURLWithPath: dumpSMT)) } catch {
            throw QueryError("--dump-smt: \(dumpSMT) cannot be created as a folder")
        }
    }

    private func report(_ dump: SMTDump) {
        printProgress("qrobust: wrote \(dump.count) SMT-LIB file\(dump.count == 1 ? "" : "s") to \(dump.directory.path)")
    }
}
