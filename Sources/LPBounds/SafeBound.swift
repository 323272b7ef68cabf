import Bounds

/// A rigorous upper bound on an LP's maximum from any row multipliers, after
/// Neumaier and Shcherbina ("Safe bounds in linear and mixed-integer
/// programming", Math. Programming 2004).
///
/// For every feasible v and any multipliers y with `y_r ≥ 0` on `≤` rows and
/// `y_r ≤ 0` on `≥` rows,
/// `c·v = Σ_r y_r·(a_r·v) + d·v ≤ Σ_r y_r·b_r + Σ_j max(d_j·l_j, d_j·u_j)`
/// with `d = c − Aᵀy`, because every variable is bounded. The solver's dual
/// solution is only approximately optimal and computed in floating point;
/// the inequality holds for any y, so the bound is proved whatever the solver
/// did. It is evaluated in interval arithmetic with outward rounding, over
/// the interval coefficients, so it holds for every matrix inside them.
public enum SafeBound {
    /// The proved upper bound of `max c·v` over `program`, from `multipliers`
    /// (one per row; a multiplier of the wrong sign or not finite counts as 0);
    /// nil when the bound is not a finite number.
    public static func upperBound(_ program: LinearProgram, multipliers: [Double]) -> Double? {
        var total = Interval.zero
        var reduced = program.objective.map { Interval($0, $0) }
        for (r, row) in program.rows.enumerated() where r < multipliers.count {
            let y = multipliers[r]
            guard y.isFinite else { continue }
            switch row.sense {
            case .atMost: guard y > 0 else { continue }
            case .atLeast: guard y < 0 else { continue }
            }
            total = total + Interval(y, y) * Interval(row.bound, row.bound)
            for term in row.terms {
                reduced[term.variable] = reduced[term.variable] - term.coefficient.scaled(by: y)
            }
        }
        for j in reduced.indices {
            total = total + reduced[j] * Interval(program.lower[j], program.upper[j])
        }
        return total.upper.isFinite ? total.upper : nil
    }
}
