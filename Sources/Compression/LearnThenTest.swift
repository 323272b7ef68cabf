import BigInt
import ExactArithmetic
import Foundation

/// Learn-then-Test (Angelopoulos, Bates, Candès, Jordan and Lei 2021) for a
/// 0–1 loss: which settings λ of a grid can be certified to have risk ≤ α
/// with probability ≥ 1 − δ over the draw of n calibration points.
///
/// For each λ the null hypothesis `H_λ: R(λ) > α` is tested with a valid
/// p-value from the λ's loss count on the calibration set. Fixed-sequence
/// testing walks the grid in the given order (from the safest λ on) and
/// rejects while `p ≤ δ`; the first λ it cannot reject ends the walk. Every
/// rejected λ then has `R(λ) ≤ α`, all at once, with probability ≥ 1 − δ.
public enum LearnThenTest {
    /// Which p-value tests each λ.
    public enum PValue: String, Sendable, CaseIterable {
        /// The exact binomial tail `P(Binom(n, α) ≤ k)`: valid for losses in {0, 1}.
        case binomial
        /// Hoeffding–Bentkus (Bates et al. 2021): `min(exp(−n·h(k/n ∧ α, α)), e·P(Binom(n, α) ≤ k))`.
        case hoeffdingBentkus = "hoeffding-bentkus"
    }

    /// `P(X ≤ k)` for `X ~ Binom(n, α)`, exactly.
    ///
    /// With `α = a/b`: `Σ_{i ≤ k} C(n, i)·a^i·(b − a)^(n−i) / b^n`, each term an
    /// integer obtained from the previous one by `·(n − i)·a / ((i + 1)·(b − a))`,
    /// a division that is always exact.
    public static func binomialTail(atMost k: Int, trials n: Int, probability alpha: Rational) -> Rational {
        precondition(n >= 0 && !alpha.isNegative && !(Rational.one < alpha), "a probability and a trial count")
        if k < 0 { return .zero }
        if k >= n { return .one }
        let a = alpha.numerator, b = alpha.denominator, c = b - a
        if a.isZero { return .one }
        if c.isZero { return .zero }
        var term = c.power(n)  // i = 0: (b − a)^n
        var sum = term
        for i in 0..<k {
            term = term * BigInt(n - i) * a / (BigInt(i + 1) * c)
            sum += term
        }
        return Rational(sum, b.power(n))
    }

    /// The p-value of `H: R > α` after `losses` of n points were lost (k/n the empirical risk).
    /// Binomial: exact. Hoeffding–Bentkus: binary64, raised by a relative 1e-9 so that
    /// glibc's `exp` and `log` (< 1 ulp) can only make it larger; at most 1.
    public static func pValue(_ kind: PValue, losses k: Int, of n: Int, alpha: Rational) -> (exact: Rational?, value: Double) {
        let tail = binomialTail(atMost: k, trials: n, probability: alpha)
        switch kind {
        case .binomial:
            return (tail, tail.roundedUp)
        case .hoeffdingBentkus:
            let risk = min(Double(k) / Double(n), alpha.roundedDown)
            let a = alpha.approximateDouble
            // h(r, α) = r·log(r/α) + (1 − r)·log((1 − r)/(1 − α)), with 0·log 0 = 0.
            let h = (risk > 0 ? risk * log(risk / a) : 0) + (risk < 1 ? (1 - risk) * log((1 - risk) / (1 - a)) : 0)
            let hoeffding = exp(-Double(n) * max(h, 0))
            let bentkus = M_E * tail.roundedUp
            return (nil, min(1, min(hoeffding, bentkus) * (1 + 1e-9)))
        }
    }

    /// One setting of the grid.
    public struct Test: Sendable, Equatable {
        /// Losses among the n calibration points; nil where the walk had already ended.
        public var losses: Int?
        /// The p-value (binary64, rounded up) and, for the binomial test, its exact value;
        /// nil where the walk had already ended (fixed-sequence testing tests no further).
        public var pValue: Double?
        public var exactPValue: Rational?
        /// Whether fixed-sequence testing rejected `R > α` here (the setting is certified).
        public var certified: Bool
    }

    /// Fixed-sequence testing over `count` settings in testing order: each setting is
    /// tested while every earlier one was rejected; the first one kept ends the walk.
    /// `losses(i)` is asked only for tested settings, so an expensive loss (a
    /// verification per point) costs only what the answer needs.
    public static func fixedSequence(count: Int, of n: Int, alpha: Rational, delta: Rational, pValue kind: PValue,
                                     losses: (Int) throws -> Int) rethrows -> [Test] {
        var walking = true
        var tests: [Test] = []
        for i in 0..<count {
            guard walking else {
                tests.append(Test(losses: nil, pValue: nil, exactPValue: nil, certified: false))
                continue
            }
            let k = try losses(i)
            let p = pValue(kind, losses: k, of: n, alpha: alpha)
            // Exact comparison where the p-value is exact; otherwise the rounded-up binary64 value.
            walking = p.exact.map { !(delta < $0) } ?? (Rational(exactly: p.value).map { !(delta < $0) } ?? false)
            tests.append(Test(losses: k, pValue: p.value, exactPValue: p.exact, certified: walking))
        }
        return tests
    }

    /// Fixed-sequence testing over loss counts already known.
    public static func fixedSequence(losses: [Int], of n: Int, alpha: Rational, delta: Rational, pValue kind: PValue) -> [Test] {
        fixedSequence(count: losses.count, of: n, alpha: alpha, delta: delta, pValue: kind) { losses[$0] }
    }
}
