import BigInt

/// Rigorous enclosures of `exp`, the logistic sigmoid and softmax at rational
/// points, computed in rational arithmetic with outward rounding.
///
/// `precisionBits` is the number of significant bits kept after each step; the
/// enclosures it produces are a few units in that last place wide.
public enum Exponential {
    /// Encloses `exp(x)`.
    public static func exp(_ x: Rational, precisionBits: Int = 96) -> Enclosure {
        if x.isZero { return Enclosure(exactly: .one) }
        if x.isNegative {
            let positive = exp(-x, precisionBits: precisionBits)
            return Enclosure(
                lower: roundDown(positive.upper.reciprocal, bits: precisionBits),
                upper: roundUp(positive.lower.reciprocal, bits: precisionBits))
        }
        // x > 0: halve until r = x / 2^s ≤ 1/2, sum the Taylor series of exp(r)
        // with a remainder bound, then square s times.
        var squarings = 0
        var r = x
        let half = Rational(1, 2)
        while half < r {
            r = r * half
            squarings += 1
        }
        let workBits = precisionBits + 2 * squarings + 16
        r = roundUp(r, bits: workBits)  // exp is increasing: bound r from both sides
        let rLow = roundDown(x * Rational.powerOfTwo(-squarings), bits: workBits)
        var lower = taylorLowerBound(rLow, bits: workBits)
        var upper = taylorUpperBound(r, bits: workBits)
        for _ in 0..<squarings {
            lower = roundDown(lower * lower, bits: workBits)
            upper = roundUp(upper * upper, bits: workBits)
        }
        return Enclosure(lower: roundDown(lower, bits: precisionBits), upper: roundUp(upper, bits: precisionBits))
    }

    /// Beyond this magnitude of its argument, σ (and each softmax term) is
    /// enclosed through the argument clamped to ±`saturation`: σ is monotone,
    /// so `σ(z) ∈ [σ(512), 1]` for `z ≥ 512`, an interval narrower than
    /// `e^-512 < 2^-738`. Without the clamp the exact enclosure of `exp(z)`
    /// holds an integer of about 1.44·z bits, which for a logit of 10⁹ means
    /// minutes and gigabytes; with it every enclosure costs at most 9 squarings.
    public static let saturation = Rational(512)

    /// Encloses the logistic sigmoid `σ(z) = 1 / (1 + e^-z)`.
    public static func sigmoid(_ z: Rational, precisionBits: Int = 96) -> Enclosure {
        if saturation < z {
            return Enclosure(lower: sigmoid(saturation, precisionBits: precisionBits).lower, upper: .one)
        }
        if z < -saturation {
            return Enclosure(lower: .zero, upper: sigmoid(-saturation, precisionBits: precisionBits).upper)
        }
        let e = exp(-z, precisionBits: precisionBits)  // σ is decreasing in e^-z
        return Enclosure(
            lower: roundDown((Rational.one + e.upper).reciprocal, bits: precisionBits),
            upper: roundUp((Rational.one + e.lower).reciprocal, bits: precisionBits))
    }

    /// Encloses `softmax(z)_c = 1 / (1 + Σ_{j≠c} e^(z_j − z_c))`.
    ///
    /// A term whose exponent is below `−saturation` lies in `[0, e^-512]`; one
    /// above `+saturation` is at least `e^512`, and then the whole value lies in
    /// `[0, 1/(1 + e^512)]`.
    public static func softmax(_ z: [Rational], component c: Int, precisionBits: Int = 96) -> Enclosure {
        var sumLower = Rational.one
        var sumUpper = Rational.one
        var unbounded = false
        for j in z.indices where j != c {
            let d = z[j] - z[c]
            if saturation < d {
                unbounded = true
                sumLower += exp(saturation, precisionBits: precisionBits).lower
            } else if d < -saturation {
                sumUpper += exp(-saturation, precisionBits: precisionBits).upper
            } else {
                let e = exp(d, precisionBits: precisionBits)
                sumLower += e.lower
                sumUpper += e.upper
            }
        }
        return Enclosure(
            lower: unbounded ? .zero : roundDown(sumUpper.reciprocal, bits: precisionBits),
            upper: roundUp(sumLower.reciprocal, bits: precisionBits))
    }

    // MARK: - Taylor series on [0, 1/2]

    /// `Σ_{i<N} r^i/i!` (every term is ≥ 0, so truncating the series bounds it from below).
    private static func taylorLowerBound(_ r: Rational, bits: Int) -> Rational {
        var sum = Rational.one
        var term = Rational.one
        var i = 1
        while i < termCount(bits) {
            term = roundDown(term * r / Rational(i), bits: bits)
            sum += term
            i += 1
        }
        return roundDown(sum, bits: bits)
    }

    /// The same sum plus `2·r^N/N!`, which bounds the Lagrange remainder
    /// `e^ξ r^N / N!` for `0 ≤ ξ ≤ r ≤ 1/2 < ln 2`.
    private static func taylorUpperBound(_ r: Rational, bits: Int) -> Rational {
        var sum = Rational.one
        var term = Rational.one
        var i = 1
        let n = termCount(bits)
        while i < n {
            term = roundUp(term * r / Rational(i), bits: bits)
            sum += term
            i += 1
        }
        let remainder = roundUp(Rational(2) * term * r / Rational(n), bits: bits)
        return roundUp(sum + remainder, bits: bits)
    }

    /// Enough terms that `(1/2)^N / N!` is far below `2^-bits`.
    private static func termCount(_ bits: Int) -> Int { max(8, bits / 3 + 4) }

    // MARK: - Outward rounding to a number of significant bits

    /// The largest dyadic rational with `bits` significant bits that is `≤ x`.
    public static func roundDown(_ x: Rational, bits: Int) -> Rational {
        round(x, bits: bits, up: false)
    }

    /// The smallest dyadic rational with `bits` significant bits that is `≥ x`.
    public static func roundUp(_ x: Rational, bits: Int) -> Rational {
        round(x, bits: bits, up: true)
    }

    private static func round(_ x: Rational, bits: Int, up: Bool) -> Rational {
        if x.isZero || x.denominator == 1 && x.numerator.magnitude.bitWidth <= bits { return x }
        // Choose a scale 2^s so that x·2^s has about `bits` integer bits.
        let shift = bits - (x.numerator.magnitude.bitWidth - x.denominator.magnitude.bitWidth)
        let scaled = shift >= 0
            ? Rational(x.numerator << shift, x.denominator)
            : Rational(x.numerator, x.denominator << (-shift))
        let integer = up ? scaled.ceiling : scaled.floor
        return Rational(integer, 1) * Rational.powerOfTwo(-shift)
    }
}
