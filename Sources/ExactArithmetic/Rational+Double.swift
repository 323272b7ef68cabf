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
        // Strip the factors of two that the denominator would share: what is
        // left is odd over a power of two (or an integer), already in lowest
        // terms, so no gcd is needed.
        let shift = exponent >= 0 ? 0 : Swift.min(mantissa.trailingZeroBitCount, -exponent)
        var n = BigInt(mantissa >> UInt64(shift))
        if value < 0 { n.negate() }
        if exponent >= 0 {
            self.init(normalizedNumerator: n << exponent, denominator: 1)
        } else {
            self.init(normalizedNumerator: n, denominator: BigInt(1) << (-exponent - shift))
        }
    }

    /// The binary64 value nearest to this rational, ties to even (IEEE 754's
    /// default), as `Double(1) / Double(d)` rounds for an integer d.
    /// Use ``roundedDown`` / ``roundedUp`` for anything that must stay sound.
    public var approximateDouble: Double { rounded(.toNearestOrEven) }

    /// The largest binary64 value `≤ self` (`-infinity` below `-Double.greatestFiniteMagnitude`).
    public var roundedDown: Double { rounded(.down) }

    /// The smallest binary64 value `≥ self` (`+infinity` above `Double.greatestFiniteMagnitude`).
    public var roundedUp: Double { rounded(.up) }

    /// This rational rounded to binary64 by `rule`, correctly: the result is
    /// the one the rule picks among the two binary64 neighbours of the exact
    /// value, subnormals included (one division, no double rounding).
    /// Values beyond the finite range round to ±infinity where the rule
    /// allows (nearest, or away from zero), else to ±`greatestFiniteMagnitude`.
    public func rounded(_ rule: FloatingPointRoundingRule) -> Double {
        if isZero { return 0 }
        let negative = isNegative
        let n = numerator.magnitude, d = denominator.magnitude
        // e with 2^e ≤ n/d < 2^(e+1).
        var e = n.bitWidth - d.bitWidth
        let atLeast = e >= 0 ? n >= d << e : n << (-e) >= d
        if !atLeast { e -= 1 }
        // The exponent of the last significand bit: 52 below e, but never below the subnormal quantum.
        let quantum = Swift.max(e - 52, -1074)
        let (numer, denom) = quantum >= 0 ? (n, d << quantum) : (n << (-quantum), d)
        var (m, r) = numer.quotientAndRemainder(dividingBy: denom)
        if !r.isZero {
            // The magnitude's rounding direction: away from zero or toward it.
            let up: Bool = switch rule {
            case .toNearestOrEven: r << 1 > denom || (r << 1 == denom && m[bitAt: 0])
            case .toNearestOrAwayFromZero: r << 1 >= denom
            case .up: !negative
            case .down: negative
            case .towardZero: false
            case .awayFromZero: true
            @unknown default: r << 1 > denom || (r << 1 == denom && m[bitAt: 0])
            }
            if up { m += 1 }
        }
        // m < 2^54, so it converts exactly; the scaling is exact unless it overflows.
        let magnitude = Double(sign: .plus, exponent: quantum, significand: Double(UInt64(m)))
        if magnitude.isInfinite {
            let toInfinity: Bool = switch rule {
            case .toNearestOrEven, .toNearestOrAwayFromZero, .awayFromZero: true
            case .up: !negative
            case .down: negative
            default: false
            }
            let limit = toInfinity ? Double.infinity : Double.greatestFiniteMagnitude
            return negative ? -limit : limit
        }
        return negative ? -magnitude : magnitude
    }

    /// The binary64 value equal to this rational, or `nil` when none is
    /// (folding a scale into a weight is exact only when this is not `nil`).
    public var exactDouble: Double? {
        let d = roundedDown
        return d.isFinite && Rational(exactly: d) == self ? d : nil
    }
}
