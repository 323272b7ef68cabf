import ExactArithmetic
import Foundation
import NeuralNetwork

/// Rows of inputs read from a file, for checking a whole test set at once
/// (`qrobust local --inputs FILE`), each read exactly.
///
/// Formats, chosen by the file's extension:
/// - `.csv`: one input per line, comma separated; lines starting with `#` are
///   comments. A first line with a field that is not a number is a header. One
///   column may hold labels (an integer class): named by ``init(contentsOf:labelColumn:scale:)``,
///   by its header name or by its 1-based position.
/// - `.jsonl` / `.ndjson` (JSON Lines): one input per line, either an array of
///   numbers or an object `{"input": [...], "label": k}`.
/// - `.npy` (NumPy's format): a 1-D array (one input) or a 2-D array (one input
///   per row) of floats or integers, each value taken exactly as stored.
///
/// Numbers are read as exact decimals or fractions (`0.1` is 1/10). Every
/// problem is one ``ModelError`` naming the file, the line and what is wrong.
public struct InputTable: Sendable {
    /// One input, with its label when the file has one.
    public struct Row: Sendable {
        /// The 1-based line of the file it came from (for `.npy`, the row).
        public var line: Int
        public var input: [Rational]
        public var label: Int?
        /// The values as written in the file (after scaling they may differ).
        public var written: [String]
    }

    public var rows: [Row]

    /// The largest file read: a test set of 10,000 MNIST images as CSV is about 20 MB.
    public static let maximumBytes = 512 << 20
    /// The most values read (each becomes an exact rational): 10,000 MNIST images are 7.84 million.
    public static let maximumValues = 50_000_000

    /// Reads `path`.
    /// - Parameters:
    ///   - labelColumn: the label column of a CSV file (its header name or 1-based position).
    ///   - scale: every value is multiplied by it (e.g. 1/255 for raw pixels).
    /// - Throws: ``ModelError``.
    public init(contentsOf path: String, labelColumn: String? = nil, scale: Rational = .one) throws {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let attributes else { throw ModelError(file: path, place: "", problem: "cannot read the file") }
        if let size = attributes[.size] as? Int, size > Self.maximumBytes {
            throw ModelError(file: path, place: "", problem: "the file has \(size) bytes; at most \(Self.maximumBytes) are read")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError(file: path, place: "", problem: "cannot read the file")
        }
        let lowercased = path.lowercased()
        let text: String
        if lowercased.hasSuffix(".npy") {
            text = ""  // binary; NumpyArray reads the bytes
        } else {
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw ModelError(file: path, place: "", problem: "the file is not UTF-8 text")
            }
            text = decoded
        }
        do {
            if lowercased.hasSuffix(".npy") {
                guard labelColumn == nil else {
                    throw ModelError(place: "", problem: "a label column is for CSV files; a .npy file holds inputs only")
                }
                rows = try NumpyArray(data).rows
            } else if lowercased.hasSuffix(".csv") {
                rows = try Self.csv(text, labelColumn: labelColumn)
            } else if lowercased.hasSuffix(".jsonl") || lowercased.hasSuffix(".ndjson") {
                guard labelColumn == nil else {
                    throw ModelError(place: "", problem: "a label column is for CSV files; JSON Lines rows carry \"label\"")
                }
                rows = try Self.jsonLines(text)
            } else {
                throw ModelError(place: "", problem: "unknown input format (use .csv, .jsonl or .npy)")
            }
        } catch let error as ModelError {
            throw error.inFile(path)
        }
        guard !rows.isEmpty else { throw ModelError(file: path, place: "", problem: "the file holds no input") }
        if scale != .one {
            for i in rows.indices { rows[i].input = rows[i].input.map { $0 * scale } }
        }
    }

    /// The lines of a text file with their 1-based numbers; CR LF and CR end lines too.
    private static func lines(_ text: String) -> [(number: Int, text: Substring)] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .enumerated().map { ($0.offset + 1, $0.element) }
    }

    /// The rows a text reader has read, refusing more than ``maximumValues``
    /// values as they come (each becomes an exact rational).
    private struct Collector {
        private(set) var rows: [Row] = []
        private var values = 0

        mutating func add(_ row: Row, place: String) throws {
            values += row.input.count
            guard values <= InputTable.maximumValues else {
                throw ModelError(place: place, problem: "more than \(InputTable.maximumValues) values; split the file")
            }
            rows.append(row)
        }
    }

    private static func csv(_ text: String, labelColumn: String?) throws -> [Row] {
        var collected = Collector()
        var labelIndex: Int?
        var width: Int?
        var sawHeader = false
        for (number, line) in lines(text) {
            let trimmed = line.trimmingWhitespace
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false).map { String($0.trimmingWhitespace) }
            let place = "line \(number)"
            if collected.rows.isEmpty && !sawHeader && fields.contains(where: { Rational(parsing: $0) == nil }) {
                // A header: names the label column, if asked for by name.
                sawHeader = true
                width = fields.count
                if let labelColumn, Int(labelColumn) == nil {
                    guard let index = fields.firstIndex(of: labelColumn) else {
                        throw ModelError(place: place, problem: "no column named '\(labelColumn)' in the header")
                    }
                    labelIndex = index
                }
                continue
            }
            if labelIndex == nil, let labelColumn {
                guard let position = Int(labelColumn) else {
                    throw ModelError(place: place, problem: "the file has no header, so the label column '\(labelColumn)' must be a position (1, 2, …)")
                }
                guard (1...fields.count).contains(position) else {
                    throw ModelError(place: place, problem: "label column \(position) is beyond the \(fields.count) columns")
                }
                labelIndex = position - 1
            }
            if let width, fields.count != width {
                throw ModelError(place: place, problem: "expected \(width) columns, found \(fields.count)")
            }
            width = fields.count
            var input: [Rational] = [], written: [String] = []
            var label: Int?
            for (i, field) in fields.enumerated() {
                if i == labelIndex {
                    guard let value = Int(field) else {
                        throw ModelError(place: place, problem: "the label '\(field)' is not an integer class")
                    }
                    label = value
                    continue
                }
                guard let value = Rational(parsing: field) else {
                    throw ModelError(place: "\(place), column \(i + 1)", problem: "'\(field)' is not a number")
                }
                input.append(value)
                written.append(field)
            }
            try collected.add(Row(line: number, input: input, label: label, written: written), place: place)
        }
        return collected.rows
    }

    /// One value of a JSON Lines input: a number, or a string holding one ("1/3").
    private enum Value: Decodable {
        case number(Double), text(String)
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            // JSONDecoder is strict: true and false are not numbers here.
            if let number = try? container.decode(Double.self) { self = .number(number); return }
            self = .text(try container.decode(String.self))
        }
    }

    /// `{"input": [...], "label": k}`.
    private struct Record: Decodable {
        var input: [Value]
        var label: Int?
    }

    private static func jsonLines(_ text: String) throws -> [Row] {
        var collected = Collector()
        let decoder = JSONDecoder()
        for (number, line) in lines(text) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            let place = "line \(number)"
            let data = Data(trimmed.utf8)
            let values: [Value], label: Int?
            if trimmed.hasPrefix("{") {
                guard let record = try? decoder.decode(Record.self, from: data) else {
                    throw ModelError(place: place, problem: "expected {\"input\": [numbers], \"label\": integer}")
                }
                (values, label) = (record.input, record.label)
            } else {
                guard let array = try? decoder.decode([Value].self, from: data) else {
                    throw ModelError(place: place, problem: "expected an array of numbers")
                }
                (values, label) = (array, nil)
            }
            guard !values.isEmpty else { throw ModelError(place: place, problem: "the input is empty") }
            var input: [Rational] = [], written: [String] = []
            for (i, value) in values.enumerated() {
                // A JSON number arrives as binary64 and is taken at its shortest decimal
                // (0.1 stays 1/10); a string is read exactly as written.
                let field: String = switch value {
                case .number(let d): "\(d)"
                case .text(let t): t
                }
                guard let exact = Rational(parsing: field) else {
                    throw ModelError(place: "\(place), value \(i + 1)", problem: "'\(field)' is not a finite number")
                }
                input.append(exact)
                written.append(field)
            }
            try collected.add(Row(line: number, input: input, label: label, written: written), place: place)
        }
        return collected.rows
    }
}
