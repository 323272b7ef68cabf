import Bounds

/// A dense symmetric matrix known entrywise as intervals: every real matrix
/// with entries in them is "in" it.
struct IntervalMatrix: Sendable {
    let order: Int
    private(set) var entries: [Interval]

    init(order: Int) {
        self.order = order
        entries = Array(repeating: .zero, count: order * order)
    }

    subscript(i: Int, j: Int) -> Interval { entries[i * order + j] }

    /// Adds v at (i, j) and, off the diagonal, at (j, i).
    mutating func add(_ i: Int, _ j: Int, _ v: Interval) {
        entries[i * order + j] = entries[i * order + j] + v
        if i != j { entries[j * order + i] = entries[j * order + i] + v }
    }
}

/// Proves positive semidefiniteness outside the SDP solver, in binary64 with
/// directed rounding (docs/semantics.md §4: the bound counts only after qrobust proves the matrix semidefinite itself).
///
/// For a shift σ, a floating-point Cholesky factor L of `mid(A) + σI` is
/// computed, then the residual `R = A + σI − LLᵀ` is bounded entrywise with
/// outward rounding. Since LLᵀ ⪰ 0 whatever rounding did to L,
/// `λ_min(A) ≥ −σ − ‖R‖₂ ≥ −σ − ‖R‖_F` for every A in the interval matrix.
/// A negative σ (Cholesky of `A − δI`) proves `A ⪰ 0` outright when the
/// residual is below δ; otherwise the smallest shift that factors gives how
/// far below 0 the spectrum can reach.
enum PSDCertificate {
    /// A sound lower bound on the smallest eigenvalue of every symmetric
    /// matrix in `a`; nil when no shift up to 1% of
    /// max(largest entry, 1) factors.
    static func smallestEigenvalueBound(_ a: IntervalMatrix) -> Double? {
        // Shifts are relative to the larger of the largest entry and 1 (the SDPs
        // here are scaled so that γ is of order 1, while −M may cancel to nearly 0).
        let scale = max(a.entries.map(\.magnitude).max() ?? 1, 1)
        func bound(_ sigma: Double) -> Double? {
            cholesky(a, shift: sigma).map { ((-sigma) - residualNorm(a, shift: sigma, factor: $0).nextUp).nextDown }
        }
        // First try to prove A ⪰ 0 outright (a negative shift).
        if let b = bound(-1e-9 * scale), b >= 0 { return b }
        // Otherwise find the smallest positive shift that factors: a coarse
        // scan, then bisection between the last failure and the first success.
        var failed = 0.0
        for relative in [1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2] {
            let sigma = relative * scale
            guard var best = bound(sigma) else { failed = sigma; continue }
            var works = sigma
            for _ in 0..<30 where works > 2 * failed {
                let middle = failed == 0 ? works / 4 : (failed * works).squareRoot()
                if let b = bound(middle) { (works, best) = (middle, max(best, b)) } else { failed = middle }
            }
            return best
        }
        return nil
    }

    /// The lower Cholesky factor (row-major) of `mid(A) + σI`, or nil when a pivot is not positive.
    static func cholesky(_ a: IntervalMatrix, shift sigma: Double) -> [Double]? {
        let n = a.order
        var l = Array(repeating: 0.0, count: n * n)
        for j in 0..<n {
            var d = a[j, j].midpoint + sigma
            for k in 0..<j { d -= l[j * n + k] * l[j * n + k] }
            guard d > 0, d.isFinite else { return nil }
            let pivot = d.squareRoot()
            l[j * n + j] = pivot
            for i in (j + 1)..<n {
                var s = a[i, j].midpoint
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = s / pivot
            }
        }
        return l
    }

    /// An upper bound on `‖A + σI − LLᵀ‖_F` over the interval matrix.
    static func residualNorm(_ a: IntervalMatrix, shift sigma: Double, factor l: [Double]) -> Double {
        let n = a.order
        var sum = 0.0
        for i in 0..<n {
            for j in 0...i {
                var r = i == j ? a[i, j] + Interval(sigma) : a[i, j]
                for k in 0...j where l[i * n + k] != 0 && l[j * n + k] != 0 {
                    r = r - Interval(l[i * n + k]) * Interval(l[j * n + k])
                }
                let m = r.magnitude
                let square = (m * m).nextUp
                sum = (sum + (i == j ? square : (2 * square).nextUp)).nextUp
            }
        }
        return sum.squareRoot().nextUp
    }
}
