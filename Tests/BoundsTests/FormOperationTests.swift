import ExactArithmetic
import TestSupport
import Testing
@testable import Bounds

/// The operations on ``LinearForms`` other than the layer sums, each against
/// exact rational arithmetic with zero slack: a form's point coefficients
/// plus its radius must enclose the exact result, and a form's bounds over a
/// box must hold for every member of the form at every vertex.
extension LinearForms {
    /// Sets form k's coefficient i to every value of `value`: the point goes to
    /// the interval's middle and the radius grows to reach both ends (the
    /// form's other coefficients keep theirs, within the larger radius). Tests
    /// build forms with interval coefficients this way.
    mutating func setCoefficient(_ k: Int, _ i: Int, to value: Interval) {
        let middle = value.lower / 2 + value.upper / 2
        let reach = Swift.max((value.upper - middle).nextUp, (middle - value.lower).nextUp)
        c[k * stride + i] = middle
        radius[k] = Swift.max(radius[k], reach)
    }
}

@Suite("Linear forms: point coefficients and a radius, against exact arithmetic")
struct FormOperationTests {
    static func exact(_ x: Double) -> Rational { Rational(exactly: x)! }

    /// Whether coefficient i of form k encloses the exact value.
    static func encloses(_ forms: LinearForms, _ k: Int, _ i: Int, _ value: Rational) -> Bool {
        let c = forms.coefficient(k, i)
        return exact(c.lower) <= value && value <= exact(c.upper)
    }

    /// Random point coefficients over twenty orders of magnitude, radius 0.
    static func randomForms(count: Int, inputs: Int, rng: inout SeededGenerator) -> LinearForms {
        var forms = LinearForms(zeros: count, inputs: inputs)
        for n in forms.c.indices {
            forms.c[n] = Double.random(in: -1...1, using: &rng)
                * Double(sign: .plus, exponent: Int.random(in: -10...10, using: &rng), significand: 1)
        }
        return forms
    }

    @Test("a constant added to a form is enclosed exactly, also when round-to-nearest loses it")
    func addConstant() {
        var forms = LinearForms(zeros: 2, inputs: 1)
        forms.addConstant(0, 1, 1)
        forms.addConstant(0, 1e-17, 1e-17)     // lost by 1 + 1e-17 in binary64
        forms.addConstant(1, -0.25, 0.75)       // an interval: its middle and a radius
        #expect(Self.encloses(forms, 0, 1, Self.exact(1) + Self.exact(1e-17)))
        #expect(forms.radius[0] > 0, "the lost 1e-17 is in the radius")
        for value in [-0.25, 0.75, 0.0] { #expect(Self.encloses(forms, 1, 1, Self.exact(value))) }
        // The radius is the form's: its input coefficient (0) takes the interval's spread too.
        #expect(Self.encloses(forms, 1, 0, Self.exact(0.5)) && Self.encloses(forms, 1, 0, Self.exact(-0.5)))
    }

    @Test("shiftAndScale and sum enclose the exact results", arguments: [UInt64(11), 12, 13])
    func shiftScaleAndSum(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<50 {
            let inputs = Int.random(in: 1...6, using: &rng)
            let a = Self.randomForms(count: 3, inputs: inputs, rng: &rng)
            let b = Self.randomForms(count: 3, inputs: inputs, rng: &rng)
            let sum = LinearForms.sum(a, b)
            for k in 0..<3 {
                for i in 0...inputs {
                    let n = k * a.stride + i
                    #expect(Self.encloses(sum, k, i, Self.exact(a.c[n]) + Self.exact(b.c[n])))
                }
            }
            var scaled = a
            let shift = Double.random(in: -3...3, using: &rng), w = Double.random(in: 0...5, using: &rng)
            scaled.shiftAndScale(1, shift: shift, by: w)
            for i in 0...inputs {
                let original = Self.exact(a.c[a.stride + i]) + (i == inputs ? Self.exact(shift) : Rational(0))
                #expect(Self.encloses(scaled, 1, i, Self.exact(w) * original), "coefficient \(i)")
            }
        }
    }

    @Test("minimum and maximum hold for every member of a form with a radius, at every vertex",
          arguments: [UInt64(21), 22])
    func boundsWithRadius(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<100 {
            let inputs = Int.random(in: 1...4, using: &rng)
            var forms = Self.randomForms(count: 1, inputs: inputs, rng: &rng)
            let i = Int.random(in: 0...inputs, using: &rng)
            let middle = forms.c[i], width = abs(middle) * Double.random(in: 0...0.1, using: &rng)
            forms.setCoefficient(0, i, to: Interval(middle - width, middle + width))
            let radius = Self.exact(forms.radius[0])
            let box = (0..<inputs).map { _ -> Interval in
                let a = Double.random(in: -2...2, using: &rng)
                return Interval(a, a + Double.random(in: 0...1, using: &rng))
            }
            let (low, high) = (Self.exact(forms.minimum(0, over: box)), Self.exact(forms.maximum(0, over: box)))
            // The extreme members at vertex x: c·x + c₀ ∓ radius·(1 + Σ|x_i|).
            for corner in 0..<(1 << inputs) {
                let x = (0..<inputs).map { corner >> $0 & 1 == 0 ? box[$0].lower : box[$0].upper }
                var value = Self.exact(forms.c[inputs]), size = Rational(1)
                for j in 0..<inputs {
                    value += Self.exact(forms.c[j]) * Self.exact(x[j])
                    size += Self.exact(abs(x[j]))
                }
                #expect(low <= value - radius * size, "minimum above a member's value")
                #expect(high >= value + radius * size, "maximum below a member's value")
            }
        }
    }
}
