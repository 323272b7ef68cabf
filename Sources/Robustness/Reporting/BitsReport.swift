import ExactArithmetic
import Foundation

/// The machine-readable form of a ``BitsResult`` (`qrobust bits --json`).
public struct BitsReport: JSONReport {
    public struct Row: Encodable, Sendable {
        public var bits: Int
        public var verdict: String
        public var deviation: LocalReport.Bounds
        public var reason: String?
        public var seconds: Double

        enum CodingKeys: String, CodingKey { case bits, verdict, deviation, reason, seconds }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(bits, forKey: .bits)
            try c.encode(verdict, forKey: .verdict)
            try c.encode(deviation, forKey: .deviation)
            try c.encode(reason, forKey: .reason)
            try c.encode(seconds, forKey: .seconds)
        }
    }

    public var command = "bits"
    public var model: String
    public var scope: String
    public var compressionModel: String
    public var rounding: String
    public var metric: String
    public var tau: Double
    public var fewestBits: Int?
    public var note: String?
    public var rows: [Row]
    public var seconds: Double

    public init(result: BitsResult, query: BitsQuery, model: String) {
        self.model = model
        switch query.scope {
        case .local(let input): scope = "input (" + input.map(\.description).joined(separator: ", ") + ")"
        case .global(let region): scope = "box " + region.description
        }
        compressionModel = query.model.rawValue
        rounding = query.rounding.rawValue
        metric = query.metric.rawValue
        tau = query.tau.approximateDouble
        fewestBits = result.fewest
        note = result.note
        rows = result.rows.map {
            Row(bits: $0.bits, verdict: $0.verdict.rawValue,
                deviation: LocalReport.Bounds(lower: $0.deviation.lower, upper: $0.deviation.upper),
                reason: $0.reason, seconds: $0.seconds)
        }
        seconds = result.seconds
    }

    enum CodingKeys: String, CodingKey {
        case command, model, scope, compressionModel, rounding, metric, tau, fewestBits, note, rows, seconds
    }

    /// Encodes absent values as explicit `null`, so every key is always there.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(command, forKey: .command)
        try c.encode(model, forKey: .model)
        try c.encode(scope, forKey: .scope)
        try c.encode(compressionModel, forKey: .compressionModel)
        try c.encode(rounding, forKey: .rounding)
        try c.encode(metric, forKey: .metric)
        try c.encode(tau, forKey: .tau)
        try c.encode(fewestBits, forKey: .fewestBits)
        try c.encode(note, forKey: .note)
        try c.encode(rows, forKey: .rows)
        try c.encode(seconds, forKey: .seconds)
    }

    /// The table k → verdict, deviation bounds.
    public var text: String {
        var lines = ["\(model) at \(scope), \(compressionModel) model, \(rounding) rounding, \(metric) metric, τ = \(tau)",
                     "   k  verdict      deviation"]
        for row in rows {
            lines.append(String(format: "%4d  %@  [%.6g, %.6g]", row.bits,
                                row.verdict.padding(toLength: 11, withPad: " ", startingAt: 0),
                                row.deviation.lower, row.deviation.upper))
        }
        lines.append(fewestBits.map { "fewest fractional bits: \($0)" } ?? "fewest fractional bits: none in the range")
        if let note { lines.append("note: \(note)") }
        lines.append(String(format: "time: %.3f s", seconds))
        return lines.joined(separator: "\n")
    }
}
