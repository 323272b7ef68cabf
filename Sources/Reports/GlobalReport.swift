import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Robustness

/// The machine-readable form of a ``GlobalResult`` (`qrobust global --json`).
/// Same conventions as ``LocalReport``: outward-rounded binary64 bounds with
/// the exact rationals beside them, and explicit `null` for absent values.
public struct GlobalReport: JSONReport, Decodable {
    public var command = "global"
    public var model: String
    public var compression: String
    public var metric: Metric
    /// The raw input box, one `[lower, upper]` pair of exact strings per input.
    public var box: [[String]]
    /// Where the box came from when not from `--box` (a VNN-LIB file and what of it was ignored); absent otherwise.
    public var boxSource: String?
    @ExplicitNull public var tau: Double?
    public var tolerance: Double
    @ExplicitNull public var verdict: Verdict?
    public var deviation: LocalReport.Bounds
    @ExplicitNull public var witness: LocalReport.WitnessReport?
    @ExplicitNull public var reason: String?
    public var seconds: Double
    public var statistics: GlobalStatistics
    /// For one shard's answer (`--shard i/n`): which shard, and the parts of the box it searched; absent otherwise.
    public var shard: Shard?
    public var parts: ShardParts?

    public init(result: GlobalResult, query: GlobalQuery, model: String, compression: String, includeParameters: Bool) {
        self.model = model
        self.compression = compression
        self.metric = query.metric
        self.box = zip(query.region.lower, query.region.upper).map { [$0.description, $1.description] }
        self.tau = query.tau?.approximateDouble
        self.tolerance = query.tolerance.approximateDouble
        self.verdict = result.verdict
        self.deviation = LocalReport.Bounds(lower: result.deviation.lower, upper: result.deviation.upper)
        self.witness = result.witness.map {
            LocalReport.WitnessReport($0, output: query.network.output, includeParameters: includeParameters)
        }
        self.reason = result.reason
        self.seconds = result.seconds
        self.statistics = result.statistics
        self.shard = query.shard
        self.parts = result.shardParts
    }

    /// The shard's answer as ``GlobalRobustness/merge(_:shards:answers:)``
    /// takes it, read from this report's exact strings.
    /// - Throws: ``QueryError`` when the report is not a shard's or a number does not read.
    public func shardAnswer(network: Network) throws -> GlobalShardAnswer {
        guard let shard, let parts else { throw QueryError("this is not a shard's answer (it has no shard and parts)") }
        func exact(_ text: String, _ what: String) throws -> Rational {
            guard let value = Rational(parsing: text) else { throw QueryError("shard \(shard): \(what) '\(text)' is not an exact number") }
            return value
        }
        let input = try witness.map { try $0.input.map { try exact($0, "the witness's input") } }
        var parameters: [ExactLayer]?
        if let layers = witness?.parameters {
            guard layers.count == network.layers.count else {
                throw QueryError("shard \(shard): the witness has \(layers.count) layers of parameters; the network has \(network.layers.count)")
            }
            parameters = try zip(layers, network.layers).map { written, layer in
                ExactLayer(weights: try written.weights.map { try $0.map { try exact($0, "a witness weight") } },
                           biases: try written.biases.map { try exact($0, "a witness bias") }, activation: layer.activation)
            }
        }
        return GlobalShardAnswer(shard: shard, verdict: verdict, upper: try exact(deviation.upperExact, "the upper end"),
                                 witnessInput: input, witnessParameters: parameters, reason: reason, seconds: seconds,
                                 statistics: statistics, parts: parts)
    }

    /// A short human-readable report.
    public var text: String {
        let name = switch metric {
        case .probability: "confidence deviation"
        case .logit: "logit deviation"
        case .flip: "flip margin"
        }
        let region = box.map { "[\($0[0]), \($0[1])]" }.joined(separator: " × ")
        var lines = ["\(model) over \(region), \(compression)"]
        if let boxSource { lines.append("box: \(boxSource)") }
        lines.append(metric == .flip ? "largest flip margin max_{j≠c} (z'_j − z'_c): [\(deviation.lower), \(deviation.upper)] (c the original's class; a class changes only where it reaches 0)"
                                     : "maximal \(name): [\(deviation.lower), \(deviation.upper)]")
        if let verdict {
            let threshold = tau.map { " = \($0)" } ?? ""
            let what = switch (verdict, metric) {
            case (.robust, .flip): "robust (no input of the box changes class)"
            case (.notRobust, .flip): "NOT robust (the witness below changes class)"
            case (.robust, _): "robust (deviation ≤ τ\(threshold) everywhere in the box)"
            case (.notRobust, _): "NOT robust (deviation > τ\(threshold) at the witness below)"
            case (.unknown, _): "unknown"
            }
            lines.append("verdict: \(what)")
        }
        if let reason { lines.append("reason: \(reason)") }
        if let witness {
            lines.append("witness (replayed exactly): input (\(witness.input.map { Rational(parsing: $0)?.approximateDouble.description ?? $0 }.joined(separator: ", "))), original logits \(witness.originalLogits), compressed logits \(witness.compressedLogits), \(name) \(witness.deviation.lower)")
        }
        let s = statistics
        var counts = [counted(s.boxes, "box", "boxes") + (s.refinedBoxes > 0 ? " (\(s.refinedBoxes) refined)" : ""), "\(s.splits) split", "\(s.exactBoxes) closed exactly",
                      counted(s.solverCalls, "solver call"), "depth \(s.depth)"]
        if s.lpNodes > 0 {
            counts += ["\(s.lpBoxes) closed by LP branch and bound", counted(s.lpNodes, "LP node"), counted(s.reluSplits, "ReLU split")]
        }
        lines.append(String(format: "time: %.3f s", seconds) + " (\(counts.joined(separator: ", ")))")
        return lines.joined(separator: "\n")
    }
}
