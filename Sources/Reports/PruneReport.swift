import Compression
import CrossCheck
import ExactArithmetic
import Foundation
import NeuralNetwork
import Robustness
import SDPBounds

/// The report of `qrobust prune` (text, or JSON with `--json`).
public struct PruneReport: JSONReport {
    /// What one pruning did.
    public struct Pruned: Encodable, Sendable {
        public var targetSparsity: Double
        /// The fraction of candidates that are zero afterwards.
        public var reachedSparsity: Double
        /// Nonzero candidates set to zero, and how many candidates there are.
        public var pruned: Int
        public var candidates: Int

        public init(_ outcome: MagnitudePruning.Outcome, target: Double) {
            targetSparsity = target
            reachedSparsity = outcome.reached
            pruned = outcome.pruned
            candidates = outcome.candidates
        }
    }

    /// One checked sparsity of `--sparsest`.
    public struct Row: Encodable, Sendable {
        public var sparsity: Double
        public var verdict: Verdict
        public var deviation: LocalReport.Bounds
        @ExplicitNull public var reason: String?
        public var seconds: Double
    }

    /// The answer of `--sparsest`.
    public struct Sparsest: Encodable, Sendable {
        /// Null for the flip metric.
        @ExplicitNull public var tau: Double?
        public var metric: Metric
        public var box: [[String]]
        public var grid: [Double]
        public var rows: [Row]
        /// The largest sparsity proved, with every smaller checked one proved too.
        @ExplicitNull public var sparsest: Double?
        public var notes: [String]

        public init(result: SparsityResult, query: SparsityQuery, box: [[String]]) {
            tau = query.tau?.approximateDouble
            metric = query.metric
            self.box = box
            grid = query.grid
            rows = result.rows.map {
                Row(sparsity: $0.sparsity, verdict: $0.verdict, deviation: LocalReport.Bounds(lower: $0.deviation.lower, upper: $0.deviation.upper),
                    reason: $0.reason, seconds: $0.seconds)
            }
            sparsest = result.sparsest
            notes = result.notes
        }
    }

    /// The Learn-then-Test calibration of `--method confident`.
    public struct Calibration: Encodable, Sendable {
        public struct Row: Encodable, Sendable {
            public var sparsity: Double
            /// Null where fixed-sequence testing had stopped before this sparsity.
            @ExplicitNull public var losses: Int?
            /// Null where fixed-sequence testing had stopped before this sparsity.
            @ExplicitNull public var pValue: Double?
            @ExplicitNull public var pValueExact: String?
            public var certified: Bool
        }

        public var alpha: Double
        public var delta: Double
        public var n: Int
        public var loss: String
        public var pValueKind: String
        public var rows: [Row]
        /// The largest certified sparsity; null when none is.
        @ExplicitNull public var chosen: Double?

        public init(_ calibration: ConfidentPruning.Calibration, method: ConfidentPruning) {
            alpha = method.alpha.approximateDouble
            delta = method.delta.approximateDouble
            n = calibration.n
            loss = method.loss.rawValue
            pValueKind = method.pValue.rawValue
            rows = zip(method.grid, calibration.tests).map { sparsity, test in
                Row(sparsity: sparsity, losses: test.losses, pValue: test.pValue,
                    pValueExact: test.exactPValue?.description, certified: test.certified)
            }
            chosen = calibration.chosen
        }
    }

    /// What coreset pruning did to each hidden layer.
    public struct Coreset: Encodable, Sendable {
        public struct Layer: Encodable, Sendable {
            public var layer: Int
            public var neurons: Int
            public var kept: Int
            public var totalSensitivity: Double
            /// `T·√(2 ln(2/δ)/m)`, δ = `boundConfidence`: the per-input error bound of the next layer's pre-activations.
            public var hoeffdingBound: Double
        }

        public var draws: Int
        public var seed: UInt64
        public var boundConfidence: Double
        public var layers: [Layer]
        /// The per-layer bounds chained through the network (``CoresetPruning/logitErrorBound(of:original:confidence:)``):
        /// the logit error at any one input with probability ≥ 1 − `boundConfidence`.
        public var chainedLogitBound: Double

        public init(_ outcome: CoresetPruning.Outcome, method: CoresetPruning, original: Network) {
            draws = method.draws
            seed = method.seed
            boundConfidence = CoresetPruning.boundConfidence
            chainedLogitBound = method.logitErrorBound(of: outcome, original: original, confidence: CoresetPruning.boundConfidence)
            layers = outcome.layers.enumerated().map { l, r in
                Layer(layer: l, neurons: r.neurons, kept: r.kept, totalSensitivity: r.totalSensitivity, hoeffdingBound: r.hoeffdingBound)
            }
        }
    }

    /// `--certify --bound sdp`: the SDP bound turned into the metric, with a sampled lower end.
    public struct SDPCertificate: Encodable, Sendable {
        public var sdp: SDPReport
        public var metric: String
        /// The metric at `lowerInput`, replayed exactly.
        public var lower: Double
        public var lowerInput: [String]
        /// √ of the bound on every squared logit difference (a quarter of it for σ's probability).
        public var upper: Double
        @ExplicitNull public var tau: String?
        @ExplicitNull public var verdict: String?

        public init(_ deviation: SDPDeviation, query: SDPQuery, model: String, tau: String?) {
            sdp = SDPReport(result: deviation.result, query: query, model: model, compressed: "its pruned copy")
            metric = deviation.metric.rawValue
            lower = deviation.lower
            lowerInput = deviation.lowerInput.map(\.description)
            upper = deviation.upper
            self.tau = tau
            verdict = tau == nil ? nil : (deviation.verdict?.rawValue ?? "unknown")
        }

        var text: String {
            let derived = metric == "logit" ? "√ of the largest squared logit difference" : "√ of the largest squared logit difference, / 4 (σ is 1/4-Lipschitz)"
            var lines = [sdp.text, "maximal \(metric) deviation: [\(lower), \(upper)] (upper: \(derived); lower: the best of "
                         + "\(SDPDeviation.samples) sampled inputs, replayed exactly)"]
            if let tau, let verdict {
                let what = switch verdict {
                case Verdict.robust.rawValue: "robust (deviation ≤ τ = \(tau) everywhere in the box)"
                case Verdict.notRobust.rawValue: "NOT robust (deviation > τ = \(tau) at the sampled input)"
                default: "unknown (the bound is above τ = \(tau), no sample is)"
                }
                lines.append("verdict: \(what)")
            }
            return lines.joined(separator: "\n")
        }
    }

    public var command = "prune"
    public var model: String
    public var method: String
    @ExplicitNull public var outputFile: String?
    @ExplicitNull public var pruned: Pruned?
    /// `--certify`: the global check of the original against the pruned network.
    @ExplicitNull public var certified: GlobalReport?
    @ExplicitNull public var sparsest: Sparsest?
    @ExplicitNull public var calibration: Calibration?
    @ExplicitNull public var coreset: Coreset?
    /// `--certify --bound sdp` instead of the global check.
    @ExplicitNull public var sdpBound: SDPCertificate?
    public var seconds: Double

    public init(model: String, method: String, outputFile: String?, pruned: Pruned?, certified: GlobalReport?,
                sparsest: Sparsest?, seconds: Double) {
        self.model = model
        self.method = method
        self.outputFile = outputFile
        self.pruned = pruned
        self.certified = certified
        self.sparsest = sparsest
        self.seconds = seconds
    }

    public var text: String {
        var lines: [String] = []
        if let calibration {
            lines.append("\(model): Learn-then-Test on \(calibration.n) calibration rows, \(calibration.loss) loss, "
                         + "\(calibration.pValueKind) p-values, α = \(calibration.alpha), δ = \(calibration.delta) (fixed-sequence testing)")
            lines.append("  sparsity  losses  p-value      certified")
            for row in calibration.rows {
                let p = row.pValue.map { String(format: "%-11.4g", $0) } ?? "not tested "
                let losses = row.losses.map { String(format: "%6d", $0) } ?? "     —"
                lines.append(String(format: "  %8.4g  ", row.sparsity) + losses + "  " + p + "  " + (row.certified ? "yes" : "no"))
            }
            lines.append("chosen: " + (calibration.chosen.map { String(format: "%.4g", $0) + " (risk ≤ α with probability ≥ 1 − δ)" }
                                       ?? "none: no sparsity of the grid is certified"))
        }
        if let sparsest {
            let property = sparsest.tau.map { "certified \(sparsest.metric) deviation ≤ τ = \($0)" } ?? "no input changing class"
            lines.append("\(model): \(method), the largest sparsity of the grid with \(property) over "
                         + sparsest.box.map { "[\($0[0]), \($0[1])]" }.joined(separator: " × "))
            lines.append("  sparsity  verdict      deviation")
            for row in sparsest.rows {
                lines.append(String(format: "  %8.4g  %@  [%.6g, %.6g]", row.sparsity,
                                    row.verdict.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0),
                                    row.deviation.lower, row.deviation.upper))
            }
            lines.append("sparsest: " + (sparsest.sparsest.map { String(format: "%.4g", $0) } ?? "none of the grid"))
            for note in sparsest.notes { lines.append("note: \(note)") }
        }
        if let coreset {
            lines.append("\(model): coreset pruning, \(coreset.draws) draws per hidden layer, seed \(coreset.seed)" + (outputFile.map { "; wrote \($0)" } ?? ""))
            for layer in coreset.layers {
                lines.append("  layer \(layer.layer): kept \(layer.kept) of \(layer.neurons) neurons; sensitivity total T = "
                             + String(format: "%.6g", layer.totalSensitivity)
                             + "; next layer's error ≤ " + String(format: "%.6g", layer.hoeffdingBound)
                             + " per input with probability ≥ \(1 - coreset.boundConfidence) (Hoeffding: T·√(2 ln(2/δ)/m))")
            }
            lines.append("  chained through the network (union bound over the layers' neurons): max |z' − z| ≤ "
                         + String(format: "%.6g", coreset.chainedLogitBound) + " per input with probability ≥ \(1 - coreset.boundConfidence)")
        }
        if let pruned {
            lines.append("\(model): \(method): \(pruned.pruned) of \(pruned.candidates) set to zero, sparsity reached "
                         + String(format: "%.4g", pruned.reachedSparsity) + (outputFile.map { "; wrote \($0)" } ?? ""))
        }
        if let certified { lines.append(certified.text) }
        if let sdpBound { lines.append(sdpBound.text) }
        lines.append(String(format: "time: %.3f s", seconds))
        return lines.joined(separator: "\n")
    }
}
