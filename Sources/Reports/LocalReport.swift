import ExactArithmetic
import Foundation
import NeuralNetwork
import Robustness

/// The machine-readable form of a ``LocalResult`` (`qrobust local --json`).
///
/// Bounds are binary64 numbers rounded outward (`lower` down, `upper` up) so
/// that they stay sound; the exact rationals are given beside them as strings.
public struct LocalReport: JSONReport, Decodable {
    public struct Bounds: Codable, Sendable {
        public var lower: Double
        public var upper: Double
        public var lowerExact: String
        public var upperExact: String

        init(lower: Rational, upper: Rational) {
            self.lower = lower.roundedDown
            self.upper = upper.roundedUp
            self.lowerExact = lower.description
            self.upperExact = upper.description
        }
    }

    public struct ExactLayerReport: Codable, Sendable {
        public var weights: [[String]]
        public var biases: [String]
    }

    public struct WitnessReport: Codable, Sendable {
        public var input: [String]
        public var originalLogits: [Double]
        public var compressedLogits: [Double]
        public var originalLogitsExact: [String]
        public var compressedLogitsExact: [String]
        public var deviation: Bounds
        public var flipsClass: Bool?
        public var neuronValues: [[String]]?
        public var parameters: [ExactLayerReport]?
    }

    public var command = "local"
    public var model: String
    public var compression: String
    public var metric: Metric
    public var input: [String]
    @ExplicitNull public var tau: Double?
    @ExplicitNull public var verdict: Verdict?
    public var deviation: Bounds
    @ExplicitNull public var originalClass: Int?
    @ExplicitNull public var witness: WitnessReport?
    @ExplicitNull public var reason: String?
    public var seconds: Double
    public var statistics: QueryStatistics

    /// Builds the report. `includeParameters` adds the witness's full parameter vector.
    public init(result: LocalResult, query: LocalQuery, model: String, compression: String, includeParameters: Bool) {
        self.model = model
        self.compression = compression
        self.metric = query.metric
        self.input = query.input.map(\.description)
        self.tau = query.tau?.approximateDouble
        self.verdict = result.verdict
        self.deviation = Bounds(lower: result.deviation.lower, upper: result.deviation.upper)
        self.originalClass = result.originalClass
        self.witness = result.witness.map {
            WitnessReport($0, output: query.network.output, includeParameters: includeParameters)
        }
        self.reason = result.reason
        self.seconds = result.seconds
        self.statistics = result.statistics
    }

    /// A list of values for a text line: all of them up to 12, else the first
    /// eight, the last two and the count (an MNIST input has 784). JSON keeps all.
    static func abbreviated(_ values: [String]) -> String {
        guard values.count > 12 else { return values.joined(separator: ", ") }
        return (values.prefix(8) + ["…"] + values.suffix(2)).joined(separator: ", ") + "; \(values.count) values"
    }

    /// A short human-readable report.
    public var text: String {
        let name = switch metric {
        case .probability: "confidence deviation"
        case .logit: "logit deviation"
        case .flip: "margin toward another class"
        }
        var lines = ["\(model) at (\(Self.abbreviated(input))), \(compression)"]
        if let originalClass { lines.append("original class: \(originalClass)") }
        let interval = deviation.lowerExact == deviation.upperExact
            ? "\(deviation.lower) (exact)" : "[\(deviation.lower), \(deviation.upper)]"
        lines.append(metric == .flip
            ? "largest \(name): \(interval) (the class flips once it reaches 0)"
            : "maximal \(name): \(interval)")
        if let verdict {
            let threshold = tau.map { " = \($0)" } ?? ""
            let what = switch verdict {
            case .robust: metric == .flip ? "robust (no compressed network flips the class)" : "robust (deviation ≤ τ\(threshold))"
            case .notRobust: metric == .flip ? "NOT robust (the class flips; witness below)" : "NOT robust (deviation > τ\(threshold); witness below)"
            case .unknown: "unknown"
            }
            lines.append("verdict: \(what)")
        }
        if let reason { lines.append("reason: \(reason)") }
        if let witness {
            lines.append("witness (replayed exactly): original logits \(witness.originalLogits), compressed logits \(witness.compressedLogits), \(name) \(witness.deviation.lower)")
        }
        let s = statistics
        var counts = [counted(s.optimizations, "optimisation"), counted(s.checks, "check"), counted(s.replays, "replay")]
        if s.backSubstitutions > 0 { counts.append("\(s.backSubstitutions) exact by back-substitution") }
        if s.lpNodes > 0 { counts += [counted(s.lpNodes, "LP node"), counted(s.reluSplits, "ReLU split")] }
        lines.append(String(format: "time: %.3f s", seconds) + " (\(counts.joined(separator: ", ")))")
        return lines.joined(separator: "\n")
    }
}

/// A report printed by `--json`.
public protocol JSONReport: Encodable, Sendable {}

extension JSONReport {
    /// Pretty-printed JSON with sorted keys.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Compact JSON on one line with sorted keys (JSON Lines).
    public func jsonLine() throws -> String {
        try Reports.jsonLine(self)
    }
}

/// A value as one line of JSON Lines: compact, keys sorted, slashes unescaped.
/// Every JSON Lines output of qrobust (batches, shards' results files) is written with it.
func jsonLine(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

extension LocalReport.WitnessReport {
    /// A witness as reported: exact values as strings beside their binary64 approximations.
    init(_ w: Witness, output: OutputKind, includeParameters: Bool) {
        self.init(
            input: w.input.map(\.description),
            originalLogits: w.originalLogits.map(\.approximateDouble),
            compressedLogits: w.compressedLogits.map(\.approximateDouble),
            originalLogitsExact: w.originalLogits.map(\.description),
            compressedLogitsExact: w.compressedLogits.map(\.description),
            deviation: LocalReport.Bounds(lower: w.deviation.lower, upper: w.deviation.upper),
            flipsClass: w.flipsClass(output: output),
            neuronValues: w.neuronValues?.map { $0.map(\.description) },
            parameters: includeParameters
                ? w.parameters?.map { LocalReport.ExactLayerReport(weights: $0.weights.map { $0.map(\.description) },
                                                                   biases: $0.biases.map(\.description)) }
                : nil)
    }
}
