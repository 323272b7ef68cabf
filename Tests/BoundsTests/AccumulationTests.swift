import ExactArithmetic
import TestSupport
import Testing
@testable import Bounds

/// `FormPair.affine` sums in round-to-nearest and grows each form's radius by
/// a bound on the row's rounding error (instead of rounding every step
/// outward). These cases make the rounding error as large as binary64 allows
/// and check every coefficient interval against the exact rational sum.
@Suite("Error-bounded accumulation of linear forms")
struct AccumulationTests {
    /// Forms over one input whose coefficients (input and constant) are the given intervals.
    static func forms(_ coefficients: [(Double, Double)]) -> FormPair {
        var bank = LinearForms(zeros: coefficients.count, inputs: 1)
        for (k, (a, b)) in coefficients.enumerated() {
            for i in 0..<2 { bank.setCoefficient(k, i, to: Interval(a, b)) }
        }
        return FormPair(lower: bank, upper: bank)
    }

    /// The exact ends of `Σ_j w_j·[a_j, b_j] + bias`.
    static func exact(_ weights: [Double], _ coefficients: [(Double, Double)], bias: Double) -> (Rational, Rational) {
        var low = Rational(exactly: bias)!, high = low
        for (w, (a, b)) in zip(weights, coefficients) {
            let rw = Rational(exactly: w)!, ra = Rational(exactly: a)!, rb = Rational(exactly: b)!
            low += w >= 0 ? rw * ra : rw * rb
            high += w >= 0 ? rw * rb : rw * ra
        }
        return (low, high)
    }

    static func check(_ weights: [Double], _ coefficients: [(Double, Double)], bias: Double) {
        let result = forms(coefficients).affine(rows: SignedRows([weights]), biases: [bias])
        let (low, high) = exact(weights, coefficients, bias: bias)
        for bank in [result.lower, result.upper] {
            for i in 0..<2 {
                let coefficient = bank.coefficient(0, i)
                let lo = Rational(exactly: coefficient.lower), hi = Rational(exactly: coefficient.upper)
                // The constant starts from the bias; the input coefficient from 0.
                let (l, h) = i == 0 ? (low - Rational(exactly: bias)!, high - Rational(exactly: bias)!) : (low, high)
                #expect(lo.map { $0 <= l } ?? (coefficient.lower == -.infinity), "lower end \(coefficient.lower) above the exact \(l.approximateDouble)")
                #expect(hi.map { $0 >= h } ?? (coefficient.upper == .infinity), "upper end \(coefficient.upper) below the exact \(h.approximateDouble)")
            }
        }
    }

    @Test("catastrophic cancellation: 1e16·1 + 1·1e-16 − 1e16·1 is 1e-16, which round-to-nearest loses")
    func cancellation() {
        Self.check([1e16, 1, -1e16], [(1, 1), (1e-16, 1e-16), (1, 1)], bias: 0)
        Self.check([1e16, 1, 1e16], [(1, 1), (1e-16, 1e-16), (-1, -1)], bias: 0.5)
        Self.check([0x1p52, 0.75, -0x1p52], [(1, 1), (1, 1), (1, 1)], bias: 0)
    }

    @Test("one coefficient's rounding error is bounded through its form's largest coefficient, whichever that is")
    func mixedMagnitudes() {
        // Forms over one input with coefficients (x, constant) of different sizes: the
        // cancelling sums sit in the input coefficient, then in the constant.
        for (input, constant) in [((1.0, 1.0), (0.0, 0.0)), ((0.0, 0.0), (1.0, 1.0)), ((1e-300, 1e-300), (1.0, 1.0))] {
            let weights = [1e16, 1, -1e16]
            var bank = LinearForms(zeros: 3, inputs: 1)
            for k in 0..<3 {
                let (x, c) = k == 1 ? ((input.0 * 1e-16, input.1 * 1e-16), (constant.0 * 1e-16, constant.1 * 1e-16)) : (input, constant)
                bank.setCoefficient(k, 0, to: Interval(x.0, x.1))
                bank.setCoefficient(k, 1, to: Interval(c.0, c.1))
            }
            let result = FormPair(lower: bank, upper: bank).affine(rows: SignedRows([weights]), biases: [0])
            for (i, pair) in [input, constant].enumerated() {
                let coefficients = [pair, (pair.0 * 1e-16, pair.1 * 1e-16), pair]
                let (low, high) = Self.exact(weights, coefficients, bias: 0)
                for form in [result.lower, result.upper] {
                    let coefficient = form.coefficient(0, i)
                    #expect(Rational(exactly: coefficient.lower)! <= low, "coefficient \(i): lower end \(coefficient.lower) above \(low.approximateDouble)")
                    #expect(Rational(exactly: coefficient.upper)! >= high, "coefficient \(i): upper end \(coefficient.upper) below \(high.approximateDouble)")
                }
            }
        }
    }

    @Test("subnormal products and huge sums stay enclosed; overflow gives an infinite end")
    func extremes() {
        Self.check([0x1p-1000, 0x1p-1000, -0x1p-1000], [(0x1p-60, 0x1p-60), (0x1p-70, 0x1p-69), (0x1p-60, 0x1p-60)], bias: 0)
        Self.check([1e300, 1e300], [(1e10, 1e10), (1, 1)], bias: 0)
    }

    @Test("random weights over twelve orders of magnitude, with interval coefficients", arguments: [UInt64(1), 2, 3, 4])
    func random(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<200 {
            let n = Int.random(in: 1...60, using: &rng)
            let weights = (0..<n).map { _ in
                Double.random(in: -1...1, using: &rng) * Double(sign: .plus, exponent: Int.random(in: -20...20, using: &rng), significand: 1)
            }
            let coefficients = (0..<n).map { _ -> (Double, Double) in
                let a = Double.random(in: -1...1, using: &rng) * Double(sign: .plus, exponent: Int.random(in: -20...20, using: &rng), significand: 1)
                return (a, Bool.random(using: &rng) ? a : a + abs(a) * 1e-3)
            }
            Self.check(weights, coefficients, bias: Double.random(in: -1e6...1e6, using: &rng))
        }
    }

    @Test("wide forms (summed a weight at a time) give the narrow loop's coefficients bit for bit",
          arguments: [UInt64(5), 6])
    func wideLoopIsTheSameSum(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for inputs in [31, 40, 100] {
            let count = 12
            var lower = LinearForms(zeros: count, inputs: inputs), upper = lower
            for k in 0..<count {
                for i in 0...inputs {
                    let a = Double.random(in: -2...2, using: &rng) * 0x1p-3
                    let b = a + Double.random(in: 0...0.01, using: &rng)
                    lower.setCoefficient(k, i, to: Interval(a, b))
                    upper.setCoefficient(k, i, to: Interval(a + 0.1, b + 0.1 + Double.random(in: 0...1e-9, using: &rng)))
                }
            }
            // Zeros, tiny and huge weights, both signs.
            let weights = (0..<9).map { _ in (0..<count).map { _ -> Double in
                [0, Double.random(in: -1...1, using: &rng), Double.random(in: -1...1, using: &rng) * 1e-12,
                 Double.random(in: -1...1, using: &rng) * 1e9][Int.random(in: 0...3, using: &rng)]
            } }
            let rows = SignedRows(weights), forms = FormPair(lower: lower, upper: upper)
            var narrow = FormPair(zeros: weights.count, inputs: inputs), wide = narrow
            for k in 0..<weights.count {
                let c = Double.random(in: -1...1, using: &rng)
                narrow.lower.addConstant(k, c, c); narrow.upper.addConstant(k, c, c)
                wide.lower.addConstant(k, c, c); wide.upper.addConstant(k, c, c)
            }
            forms.accumulate(into: &narrow, rows, wideFrom: .max)
            forms.accumulate(into: &wide, rows, wideFrom: 0)
            #expect(narrow.lower.c == wide.lower.c && narrow.lower.radius == wide.lower.radius)
            #expect(narrow.upper.c == wide.upper.c && narrow.upper.radius == wide.upper.radius)
            #expect(narrow.lower.c != FormPair(zeros: weights.count, inputs: inputs).lower.c, "nothing was summed")
        }
    }
}
