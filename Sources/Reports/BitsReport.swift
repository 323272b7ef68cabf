import ExactArithmetic
import Foundation
import NeuralNetwork
import Robustness

/// The machine-readable form of a ``BitsResult`` (`qrobust bits --json`).
public struct BitsReport: JSONReport {
    public struct Row: Encodable, Sendable {
        public var bits: Int
        public var verdict: Verdict
        public var deviation: LocalReport.Bounds
        @ExplicitNull public var reason: String?
        public var seconds: Double
    }

    public var command = "bits"
    public var model: String
    public var scope: String
    public var compressionModel: String
    /// The quantiser family, e.g. `fixed point, nearest rounding` or `int affine, per channel, symmetric`.
    public var scheme: String
    /// How values are rounded: `nearest` or `truncate` (fixed point), `half-to-even` (affine integers).
    public var rounding: String
    /// What k counts: `fractional` bits (fixed point) or `integer` bits (affine).
    public var bitsKind: String
    public var metric: Metric
    /// Null for the flip metric, which is decided without a threshold.
    @ExplicitNull public var tau: Double?
    @ExplicitNull public var fewestBits: Int?
    @ExplicitNull public var note: String?
    public var rows: [Row]
    public var seconds: Double

    public init(result: BitsResult, query: BitsQuery, model: String) {
        self.model = model
        switch query.scope {
        case .local(let input): scope = "input (" + input.map(\.description).joined(separator: ", ") + ")"
        case .global(let region): scope = "box " + region.description
        }
        compressionModel = query.model.rawValue
        scheme = query.scheme.description
        switch query.scheme {
        case .fixedPoint(let r): (rounding, bitsKind) = (r.rawValue, "fractional")
        case .affine: (rounding, bitsKind) = ("half-to-even", "integer")
        }
        metric = query.metric
        tau = query.tau?.approximateDouble
        fewestBits = result.fewest
        note = result.note
        rows = result.rows.map {
            Row(bits: $0.bits, verdict: $0.verdict,
                deviation: LocalReport.Bounds(lower: $0.deviation.lower, upper: $0.deviation.upper),
                reason: $0.reason, seconds: $0.seconds)
        }
        seconds = result.seconds
    }

    /// The table k → verdict, deviation bounds.
    public var text: String {
        var lines = ["\(model) at \(scope), \(compressionModel) model, \(scheme), "
                     + (tau.map { "\(metric) metric, τ = \($0)" } ?? "flip: does the class change?"),
                     "   k  verdict      deviation"]
        for row in rows {
            lines.append(String(format: "%4d  %@  [%.6g, %.6g]", row.bits,
                                row.verdict.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0),
                                row.deviation.lower, row.deviation.upper))
        }
        lines.append("fewest \(bitsKind) bits: " + (fewestBits.map(String.init) ?? "none in the range"))
        if let note { lines.append("note: \(note)") }
        lines.append(String(format: "time: %.3f s", seconds))
        return lines.joined(separator: "\n")
    }
}
