import Bounds
import ExactArithmetic
import LPBounds

/// How `|h_j|` is written in the Lemma's rows: `h_j` where it is never
/// negative (a ReLU's output, an input whose box is ≥ 0), `−h_j` where it is
/// never positive, or `2·r − h_j` with r the output of `relu(h_j)` (relaxed
/// and split like any ReLU, so that `2·r − h_j ≥ |h_j|` and equality holds
/// once its phase is fixed).
enum Magnitude {
    case itself, negated
    case viaReLU(Int)
}

extension LinearProgram {
    /// The Lemma's two rows (docs/semantics.md §2) for a neuron u' of a
    /// perturbation set: `u' − W_k·h − Δ_k·|h| ≤ b_k + Δb_k` and
    /// `u' − W_k·h + Δ_k·|h| ≥ b_k − Δb_k`, over the layer's inputs h (nil where
    /// always 0). Coefficients are intervals rounded outward around the exact
    /// `W ± Δ`, right-hand sides rounded outward: the rows hold for the real ones.
    mutating func addLemmaRows(pre u: Int, weights: [Rational], bias: Rational, radii: [Rational], biasRadius: Rational,
                               inputs: [Int?], magnitude: (Int) -> Magnitude) throws {
        func negated(_ value: Rational) -> Interval { Interval(-value.roundedUp, -value.roundedDown) }
        var upperRow: [(variable: Int, coefficient: Interval)] = [(u, Interval(1, 1))]
        var lowerRow = upperRow
        for (j, h) in inputs.enumerated() {
            guard let h else { continue }
            let (w, delta) = (weights[j], radii[j])
            switch magnitude(j) {
            case .itself:
                upperRow.append((h, negated(w + delta)))
                lowerRow.append((h, negated(w - delta)))
            case .negated:
                upperRow.append((h, negated(w - delta)))
                lowerRow.append((h, negated(w + delta)))
            case .viaReLU(let r):
                upperRow += [(h, negated(w - delta)), (r, negated(Rational(2) * delta))]
                lowerRow += [(h, negated(w + delta)), (r, negated(Rational(-2) * delta))]
            }
        }
        try addRow(upperRow, .atMost, (bias + biasRadius).roundedUp)
        try addRow(lowerRow, .atLeast, (bias - biasRadius).roundedDown)
    }
}
