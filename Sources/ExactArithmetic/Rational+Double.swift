import BigInt

extension Rational {
    /// The exact value a binary64 number stores (mantissa · 2^exponent).
    ///
    /// Returns `nil` for NaN and infinities. `-0.0` becomes `0`. This is the
    /// only sound way to hand a trained weight to a solver: a decimal rendering
    /// such as `Double.description` is a different number.
    public init?(exactly value: Double) {
        guard value.isFinite else { return nil }
        if value == 0 { self = .zero; return }
        let bits = value.significandBitPattern
        let biased = Int(value.exponentBitPattern)
        let mantissa: UInt64
        let exponent: Int
        if biased == 0 {  // subnormal
            mantissa = bits
            exponent = -1074
        } else {
            mantissa = bits | (UInt64(1) << 52)
            exponent = biased - 1075
        }
        var n = BigInt(mantissa)
        if value < 0 { n.negate() }
        if exponent >= 0 {
            self.init(n << exponent, 1)
        } else {
            self.init(n, BigInt(1) << (-exponent))
        }
    }

    /// The nearest binary64 value (ties may go either way); for display only.
    /// Use ``roundedDown`` / ``roundedUp`` for anything that must stay sound.
    public var approximateDouble: Double {
        if isZero { return 0 }
        let n = numerator.magnitude
        let d = denominator.magnitude
        // Scale so that the integer quotient carries at least 64 significant bits.
        let shift = 64 - (n.bitWidth - d.bitWidth)
        let q = shift >= 0 ? (n << shift) / d : (n >> (-shift)) / d
        return Double(sign: isNegative ? .minus : .plus, exponent: -shift, significand: Double(q))
    }

    /// The largest binary64 value `≤ self` (may be `-infinity` for huge negatives).
    public var roundedDown: Double {
        var d = approximateDouble
        while let exact = Rational(exactly: d), self < exact { d = d.nextDown }
        while d.isInfinite && d > 0 { d = d.nextDown }
        return d
    }

    /// The smallest binary64 value `≥ self` (may be `+infinity` for huge values).
    public var roundedUp: Double {
        var d = approximateDouble
        while let exact = Rational(exactly: d), exact < self { d = d.nextUp }
        while d.isInfinite && d < 0 { d = d.nextUp }
        return d
    }

    /// The binary64 value equal to this rational, or `nil` when none is
    /// (folding a scale into a weight is exact only when this is not `nil`).
    public var exactDouble: Double? {
        let d = roundedDown
        return d.isFinite && Rational(exactly: d) == self ? d : nil
    }
}
