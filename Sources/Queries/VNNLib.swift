import ExactArithmetic
import Foundation
import NeuralNetwork

/// The input box of a VNN-LIB property file (the SMT-LIB subset of the
/// VNN-COMP benchmarks): `(declare-const X_i Real)` declares input i, and
/// assertions `(<= X_i c)`, `(>= X_i c)` (either order, or inside `and`) bound it.
///
/// - Strict comparisons (`<`, `>`) are read as `≤`, `≥`: the box is then the
///   closure of the set the file describes. Every maximum over a closed box of a
///   continuous deviation is also the supremum over its interior, so no answer changes.
/// - Assertions that mention the outputs `Y_j` state the property to be
///   verified, not the region; qrobust asks its own question (the deviation
///   between two networks), so they are counted in ``ignoredOutputAssertions``
///   and not used.
/// - A disjunction of input boxes (`or` over `X_i`) is refused: answering on
///   its hull could report a witness outside every box.
///
/// Numbers are read exactly (`0.1` is 1/10); `(- c)` and `-c` are both negative.
public struct VNNLibProperty: Sendable, Equatable {
    /// The box of the declared inputs, in declaration index order `X_0, X_1, …`.
    public var region: InputRegion
    /// Each bound as written in the file, `[lower, upper]` per input (for echoing in reports).
    public var writtenBounds: [[String]]
    /// How many assertions constrain the outputs `Y_j` (ignored).
    public var ignoredOutputAssertions: Int

    /// Reads a property file.
    /// - Throws: ``ModelError`` naming the file, the line and the problem.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError(file: path, place: "", problem: "cannot read the file")
        }
        guard data.count <= 64 << 20 else {
            throw ModelError(file: path, place: "", problem: "the file has \(data.count) bytes; at most \(64 << 20) are read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ModelError(file: path, place: "", problem: "the file is not UTF-8 text")
        }
        do {
            try self.init(parsing: text)
        } catch let error as ModelError {
            throw error.inFile(path)
        }
    }

    /// Reads the text of a property file.
    /// - Throws: ``ModelError`` naming the line and the problem.
    public init(parsing text: String) throws {
        var reader = Reader(tokens: try Self.tokens(text))
        var inputs: [Int: (lower: Bound?, upper: Bound?)] = [:]
        var outputs = Set<Int>()
        var ignored = 0
        while let expression = try reader.expression() {
            guard case .list(let items, let line) = expression, case .atom(let head, _)? = items.first else {
                throw ModelError(place: "line \(expression.line)", problem: "expected a command such as (assert …), found '\(expression)'")
            }
            switch head {
            case "declare-const":
                guard items.count == 3, case .atom(let name, _) = items[1], case .atom("Real", _) = items[2] else {
                    throw ModelError(place: "line \(line)", problem: "expected (declare-const NAME Real)")
                }
                switch Variable(name) {
                case .input(let i)?:
                    guard inputs[i] == nil else { throw ModelError(place: "line \(line)", problem: "\(name) is declared twice") }
                    inputs[i] = (nil, nil)
                case .output(let j)?: outputs.insert(j)
                case nil: throw ModelError(place: "line \(line)", problem: "'\(name)' is neither an input X_i nor an output Y_j")
                }
            case "assert":
                guard items.count == 2 else { throw ModelError(place: "line \(line)", problem: "(assert …) takes one formula") }
                if items[1].mentionsOutput {
                    ignored += 1
                    continue
                }
                for (variable, bound, isUpper) in try Self.inputBounds(items[1]) {
                    guard let current = inputs[variable] else {
                        throw ModelError(place: "line \(bound.line)", problem: "X_\(variable) is used but not declared")
                    }
                    // Several bounds on one side: the tightest one holds.
                    if isUpper {
                        if current.upper.map({ bound.value < $0.value }) ?? true { inputs[variable]!.upper = bound }
                    } else if current.lower.map({ bound.value > $0.value }) ?? true {
                        inputs[variable]!.lower = bound
                    }
                }
            case "set-logic", "set-info", "set-option", "check-sat", "get-model", "exit":
                continue
            default:
                throw ModelError(place: "line \(line)", problem: "unsupported command '\(head)'")
            }
        }
        guard !inputs.isEmpty else {
            throw ModelError(place: "", problem: "no input is declared (expected (declare-const X_0 Real) …)")
        }
        let count = (inputs.keys.max() ?? 0) + 1
        if let missing = (0..<count).first(where: { inputs[$0] == nil }) {
            throw ModelError(place: "", problem: "the inputs X_0 … X_\(count - 1) are not all declared: X_\(missing) is missing")
        }
        var lower: [Rational] = [], upper: [Rational] = [], written: [[String]] = []
        for i in 0..<count {
            let bounds = inputs[i] ?? (nil, nil)
            guard let lo = bounds.lower else { throw ModelError(place: "", problem: "X_\(i) has no lower bound (assert (>= X_\(i) …))") }
            guard let hi = bounds.upper else { throw ModelError(place: "", problem: "X_\(i) has no upper bound (assert (<= X_\(i) …))") }
            lower.append(lo.value)
            upper.append(hi.value)
            written.append([lo.written, hi.written])
        }
        self.region = InputRegion(lower: lower, upper: upper)
        self.writtenBounds = written
        self.ignoredOutputAssertions = ignored
    }

    /// A one-line summary for reports: the file's inputs and what was ignored.
    public func summary(file: String) -> String {
        let inputs = region.dimension == 1 ? "X_0" : "X_0…X_\(region.dimension - 1)"
        let ignored = ignoredOutputAssertions == 0 ? "" : ignoredOutputAssertions == 1
            ? "; 1 output assertion ignored" : "; \(ignoredOutputAssertions) output assertions ignored"
        return "\(file) (box from the bounds on \(inputs)\(ignored))"
    }

    // MARK: - Reading

    /// A bound read from the file: its exact value, as written, and its line.
    private struct Bound: Equatable, Sendable {
        var value: Rational
        var written: String
        var line: Int
    }

    private enum Variable {
        case input(Int), output(Int)

        init?(_ name: String) {
            guard name.count > 2, let index = Int(name.dropFirst(2)), index >= 0, index < 1 << 24 else { return nil }
            if name.hasPrefix("X_") { self = .input(index) } else if name.hasPrefix("Y_") { self = .output(index) } else { return nil }
        }
    }

    /// The bounds one input assertion states: `(<= X_i c)`, `(>= c X_i)`, …, or an `and` of them.
    private static func inputBounds(_ formula: Expression) throws -> [(variable: Int, bound: Bound, isUpper: Bool)] {
        guard case .list(let items, let line) = formula, case .atom(let op, _)? = items.first else {
            throw ModelError(place: "line \(formula.line)", problem: "expected a comparison such as (<= X_0 1), found '\(formula)'")
        }
        switch op {
        case "and":
            return try items.dropFirst().flatMap(inputBounds)
        case "or":
            throw ModelError(place: "line \(line)", problem: "a disjunction of input regions is not supported; split it into one file per box")
        case "<=", ">=", "<", ">":
            guard items.count == 3 else { throw ModelError(place: "line \(line)", problem: "(\(op) …) must compare two terms") }
            let atMost = op.hasPrefix("<")
            if case .atom(let name, _) = items[1], case .input(let i)? = Variable(name) {
                return [(i, try constant(items[2]), atMost)]
            }
            if case .atom(let name, _) = items[2], case .input(let i)? = Variable(name) {
                return [(i, try constant(items[1]), !atMost)]
            }
            throw ModelError(place: "line \(line)", problem: "only bounds of one input by a number are supported, found '\(formula)'")
        default:
            throw ModelError(place: "line \(line)", problem: "unsupported operator '\(op)' in an input constraint")
        }
    }

    /// A number: `c`, `-c` or `(- c)`.
    private static func constant(_ expression: Expression) throws -> Bound {
        switch expression {
        case .atom(let text, let line):
            guard let value = Rational(parsing: text) else {
                throw ModelError(place: "line \(line)", problem: "'\(text)' is not a number")
            }
            return Bound(value: value, written: text, line: line)
        case .list(let items, let line):
            if items.count == 2, case .atom("-", _) = items[0], case .atom(let text, _) = items[1],
               let value = Rational(parsing: text) {
                return Bound(value: -value, written: "-" + text, line: line)
            }
            throw ModelError(place: "line \(line)", problem: "'\(expression)' is not a number")
        }
    }

    /// An S-expression with the line it starts on.
    private indirect enum Expression: CustomStringConvertible {
        case atom(String, line: Int)
        case list([Expression], line: Int)

        var line: Int {
            switch self { case .atom(_, let line), .list(_, let line): line }
        }

        var mentionsOutput: Bool {
            switch self {
            case .atom(let name, _): if case .output? = Variable(name) { true } else { false }
            case .list(let items, _): items.contains(where: \.mentionsOutput)
            }
        }

        var description: String {
            let text = switch self {
            case .atom(let name, _): name
            case .list(let items, _): "(" + items.map(\.description).joined(separator: " ") + ")"
            }
            return text.count > 60 ? String(text.prefix(57)) + "…" : text
        }
    }

    private enum Token { case open(Int), close(Int), atom(String, Int) }

    /// The tokens of the file; `;` starts a comment to the end of the line.
    private static func tokens(_ text: String) throws -> [Token] {
        var tokens: [Token] = []
        var line = 1, atom = "", inComment = false
        func flush() {
            if !atom.isEmpty { tokens.append(.atom(atom, line)); atom = "" }
        }
        for character in text {
            if inComment {
                if character == "\n" || character == "\r\n" { inComment = false; line += 1 }
                continue
            }
            switch character {
            case "(": flush(); tokens.append(.open(line))
            case ")": flush(); tokens.append(.close(line))
            case ";": flush(); inComment = true
            case "\n", "\r\n": flush(); line += 1
            case " ", "\t", "\r": flush()
            case "|", "\"":
                throw ModelError(place: "line \(line)", problem: "quoted symbols and strings are not supported")
            default: atom.append(character)
            }
        }
        flush()
        return tokens
    }

    /// Builds S-expressions from tokens, with nesting limited so that a hostile file cannot exhaust the stack.
    private struct Reader {
        var tokens: [Token]
        var position = 0

        mutating func expression(depth: Int = 0) throws -> Expression? {
            guard position < tokens.count else { return nil }
            let token = tokens[position]
            position += 1
            switch token {
            case .atom(let text, let line): return .atom(text, line: line)
            case .close(let line): throw ModelError(place: "line \(line)", problem: "unbalanced ')'")
            case .open(let line):
                guard depth < 64 else { throw ModelError(place: "line \(line)", problem: "expressions nested deeper than 64 levels") }
                var items: [Expression] = []
                while true {
                    guard position < tokens.count else {
                        throw ModelError(place: "line \(line)", problem: "'(' is never closed")
                    }
                    if case .close = tokens[position] { position += 1; return .list(items, line: line) }
                    items.append(try expression(depth: depth + 1)!)
                }
            }
        }
    }
}
