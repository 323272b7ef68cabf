import ExactArithmetic
import Foundation
import NeuralNetwork
import Robustness

/// The answers for a whole file of inputs (`qrobust local --inputs FILE`):
/// one ``LocalReport`` per row and a summary, as a compact table or as JSON
/// Lines (one object per row, then one summary object).
public struct BatchReport: Sendable {
    /// One row's answer with where it came from.
    public struct Row: Encodable, Sendable {
        /// 1-based position among the file's inputs, and the file's line.
        public var row: Int
        public var line: Int
        @ExplicitNull public var label: Int?
        public var report: LocalReport

        public init(row: Int, line: Int, label: Int?, report: LocalReport) {
            self.row = row
            self.line = line
            self.label = label
            self.report = report
        }
    }

    /// The counts a user asks for first.
    public struct Summary: Encodable, Sendable {
        public var rows: Int
        /// Verdicts (with τ, or for flip); `measured` counts rows without one.
        public var robust: Int
        public var notRobust: Int
        public var unknown: Int
        public var measured: Int
        /// Rows (1-based) on which some compressed network changes the class (flip metric).
        public var flips: [Int]
        /// Rows whose original prediction differs from the file's label.
        public var misclassified: [Int]
        /// The rows with the largest certified upper ends, largest first (at most five).
        public var worst: [Int]
        /// The largest certified upper end over all rows.
        public var largestUpper: Double
    }

    public var rows: [Row]
    public var summary: Summary

    public init(rows: [Row]) {
        self.rows = rows
        var summary = Summary(rows: rows.count, robust: 0, notRobust: 0, unknown: 0, measured: 0, flips: [],
                              misclassified: [], worst: [], largestUpper: 0)
        for row in rows {
            switch row.report.verdict {
            case .robust: summary.robust += 1
            case .notRobust: summary.notRobust += 1
            case .unknown: summary.unknown += 1
            case nil: summary.measured += 1
            }
            if row.report.metric == .flip && row.report.verdict == .notRobust { summary.flips.append(row.row) }
            if let label = row.label, let predicted = row.report.originalClass, label != predicted {
                summary.misclassified.append(row.row)
            }
        }
        let ranked = rows.sorted { $0.report.deviation.upper > $1.report.deviation.upper }
        summary.worst = ranked.prefix(5).map(\.row)
        summary.largestUpper = ranked.first?.report.deviation.upper ?? 0
        self.summary = summary
    }

    /// The exit code of a batch from its rows' codes: 1 (not robust) if any
    /// row has it, else 2 (unknown) if any has it, else 0.
    public static func exitCode(_ codes: [Int32]) -> Int32 {
        codes.contains(1) ? 1 : codes.contains(2) ? 2 : 0
    }

    /// The summary line: "robust at 97 of 100 rows (not robust 2, unknown 1)" and the rest.
    public var summaryLine: String {
        let s = summary
        var parts: [String] = []
        if s.measured < s.rows {
            parts.append("robust at \(s.robust) of \(counted(s.rows, "row")) (not robust \(s.notRobust), unknown \(s.unknown))")
        } else {
            parts.append("measured \(counted(s.rows, "row"))")
        }
        if rows.first?.report.metric == .flip {
            parts.append(s.flips.isEmpty ? "no class flips" : "the class can flip at \(s.flips.count == 1 ? "row" : "rows") \(Self.list(s.flips))")
        }
        if rows.contains(where: { $0.label != nil }) {
            parts.append(s.misclassified.isEmpty ? "every original prediction matches its label"
                : "\(counted(s.misclassified.count, "row")) misclassified by the original network (\(Self.list(s.misclassified)))")
        }
        parts.append("largest upper end \(s.largestUpper) (rows \(Self.list(s.worst)))")
        return parts.joined(separator: "; ")
    }

    /// Row numbers as text: all of them up to ten, else the first ten, "…" and the count.
    public static func list(_ rows: [Int]) -> String {
        rows.count <= 10 ? rows.map(String.init).joined(separator: ", ")
            : rows.prefix(10).map(String.init).joined(separator: ", ") + ", … (\(rows.count))"
    }

    /// A compact table, one line per row, and the summary line.
    public var text: String {
        func left(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        func right(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        func line(_ row: String, _ line: String, _ label: String, _ predicted: String, _ verdict: String, _ interval: String) -> String {
            [left(row, 5), left(line, 6), left(label, 5), left(predicted, 5), right(verdict, 10), interval].joined(separator: "  ")
        }
        var lines = [line("row", "line", "label", "class", "verdict", "deviation [lower, upper]")]
        for row in rows {
            let r = row.report
            let interval = r.deviation.lowerExact == r.deviation.upperExact
                ? "\(r.deviation.lower) (exact)" : "[\(r.deviation.lower), \(r.deviation.upper)]"
            lines.append(line("\(row.row)", "\(row.line)", row.label.map(String.init) ?? "-",
                              r.originalClass.map(String.init) ?? "-", r.verdict?.rawValue ?? "measured", interval))
        }
        lines.append(summaryLine)
        return lines.joined(separator: "\n")
    }

    /// JSON Lines: one object per row (its ``LocalReport`` fields plus `row`,
    /// `line` and `label`), then `{"summary": …}`.
    public func jsonLines() throws -> String {
        let lines = try rows.map(Self.line) + [try jsonLine(["summary": summary])]
        return lines.joined(separator: "\n")
    }

    /// A row as one flat JSON object: the report's keys with `row`, `line` and `label` beside them.
    /// A shard's results file holds its rows in this form too, and a merge reads them back.
    public struct RowLine: Codable {
        public let row: Row
        public init(_ row: Row) { self.row = row }

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ string: String) { stringValue = string }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        public func encode(to encoder: any Encoder) throws {
            try row.report.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(row.row, forKey: Key("row"))
            try container.encode(row.line, forKey: Key("line"))
            if let label = row.label { try container.encode(label, forKey: Key("label")) } else { try container.encodeNil(forKey: Key("label")) }
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            row = Row(row: try container.decode(Int.self, forKey: Key("row")), line: try container.decode(Int.self, forKey: Key("line")),
                      label: try container.decodeIfPresent(Int.self, forKey: Key("label")), report: try LocalReport(from: decoder))
        }
    }

    /// One row as a line of JSON Lines.
    public static func line(_ row: Row) throws -> String {
        try jsonLine(RowLine(row))
    }
}
