import Foundation
import NeuralNetwork

extension SDPProblem {
    /// The problem in SDPA sparse format (`.dat-s`), which CSDP, SDPA, SDPT3,
    /// SeDuMi and Mosek read: `min aᵀy s.t. Σ yᵢFᵢ − F₀ ⪰ 0` with F₀ = C and
    /// Fᵢ = Aᵢ, 1-based indices, negative sizes for diagonal blocks. Numbers
    /// are written with 17 significant digits, so they read back to the same
    /// binary64 values.
    public func sdpaSparse(comment: String) -> String {
        var lines = comment.split(separator: "\n", omittingEmptySubsequences: false).map { "\" \($0)" }
        lines.append("\(constraints.count) = mdim")
        lines.append("\(blocks.count) = nblocks")
        lines.append(blocks.map { String($0.kind == .matrix ? $0.size : -$0.size) }.joined(separator: " "))
        lines.append(objective.map(Self.number).joined(separator: " "))
        func write(_ entries: [Entry], matrix: Int) {
            for e in entries where e.value != 0 {
                lines.append("\(matrix) \(e.block + 1) \(e.row + 1) \(e.column + 1) \(Self.number(e.value))")
            }
        }
        write(constant, matrix: 0)
        for (i, matrix) in constraints.enumerated() { write(matrix, matrix: i + 1) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes ``sdpaSparse(comment:)`` to a file.
    public func writeSDPA(to path: String, comment: String) throws {
        try validate()
        do { try sdpaSparse(comment: comment).write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw ModelError(file: path, place: "", problem: "cannot write: \(error.localizedDescription)")
        }
    }

    private static func number(_ x: Double) -> String { String(format: "%.17g", x) }
}

extension SDPResult {
    /// Writes every SDP that was solved in SDPA sparse format and returns the
    /// files written: `path` itself when there was one SDP, otherwise `path`
    /// with `-norm-boxK` or `-outputI-boxK` before its extension.
    public func exportSDPA(to path: String) throws -> [String] {
        let all = [("norm", squaredNorm)] + perOutput.map { ("output\($0.outputs[0] + 1)", $0) }
        let solved = all.flatMap { name, bound in
            bound.boxes.enumerated().compactMap { k, box in box.problem.map { (name, k + 1, box, $0) } }
        }
        let url = URL(fileURLWithPath: path)
        let stem = url.deletingPathExtension().path, ext = url.pathExtension.isEmpty ? "dat-s" : url.pathExtension
        var written: [String] = []
        for (name, k, box, problem) in solved {
            let file = solved.count == 1 ? path : "\(stem)-\(name)-box\(k).\(ext)"
            let boxText = box.box.map { "[\($0.lower), \($0.upper)]" }.joined(separator: " × ")
            try problem.writeSDPA(to: file, comment: """
                qrobust SDP bound (\(name)), normalised input box \(boxText)
                min a'y s.t. sum_i y_i F_i - F_0 >= 0; y_1 = gamma (bound x scale), then one multiplier per quadratic constraint
                """)
            written.append(file)
        }
        return written
    }
}
