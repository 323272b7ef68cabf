import Foundation

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
        try sdpaSparse(comment: comment).write(toFile: path, atomically: true, encoding: .utf8)
    }

    private static func number(_ x: Double) -> String { String(format: "%.17g", x) }
}
