import BigInt

/// An exact rational number `numerator / denominator`, always in lowest terms
/// with a positive denominator.
///
/// qrobust computes every value it reports as proved (weights, witnesses,
/// replayed outputs) in this type, so that no floating-point rounding can turn
/// a violation into "robust" or the other way round.
public struct Rational: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The numerator; carries the sign.
    public let numerator: BigInt
    /// The denominator; always positive.
    public let denominator: BigInt

    /// Creates `numerator / denominator` in lowest terms.
    /// - Precondition: `denominator != 0`. Callers dividing user data check first.
    public init(_ numerator: BigInt, _ denominator: BigInt = 1) {
        precondition(!denominator.isZero, "Rational with zero denominator")
        var n = numerator
        var d = denominator
        if d.sign == .minus { n.negate(); d.negate() }
        let g = n.greatestCommonDivisor(with: d)
        if g != 1 && !g.isZero {
            n /= g
            d /= g
        }
        self.numerator = n
        self.denominator = d
    }

    /// Creates the rational value of an integer.
    public init(_ value: Int) {
        self.init(BigInt(value), 1)
    }

    /// Creates `numerator / denominator` from machine integers.
    public init(_ numerator: Int, _ denominator: Int) {
        self.init(BigInt(numerator), BigInt(denominator))
    }

    /// Wraps an already normalised fraction without recomputing the gcd.
    init(normalizedNumerator: BigInt, denominator: BigInt) {
        self.numerator = normalizedNumerator
        self.denominator = denominator
    }

    public static let zero = Rational(normalizedNumerator: 0, denominator: 1)
    public static let one = Rational(normalizedNumerator: 1, denominator: 1)

    /// `2^exponent`, for any integer exponent.
    public static func powerOfTwo(_ exponent: Int) -> Rational {
        exponent >= 0
            ? Rational(normalizedNumerator: BigInt(1) << exponent, denominator: 1)
            : Rational(normalizedNumerator: 1, denominator: BigInt(1) << (-exponent))
    }

    public var isZero: Bool { numerator.isZero }
    public var isNegative: Bool { numerator.sign == .minus && !numerator.isZero }
    public var isPositive: Bool { numerator.sign == .plus && !numerator.isZero }
    public var isInteger: Bool { denominator == 1 }

    /// -1, 0 or 1.
    public var signum: Int { isZero ? 0 : (isNegative ? -1 : 1) }

    public var magnitude: Rational {
        isNegative ? Rational(normalizedNumerator: -numerator, denominator: denominator) : self
    }

    /// The reciprocal. - Precondition: `self != 0`.
    public var reciprocal: Rational { Rational(denominator, numerator) }

    /// `p/q`, or `p` when the denominator is 1; the form Z3 and SMT-LIB read.
    public var description: String {
        denominator == 1 ? numerator.description : "\(numerator)/\(denominator)"
    }

    /// The largest integer not above `self`.
    public var floor: BigInt {
        let (q, r) = numerator.quotientAndRemainder(dividingBy: denominator)
        return (r.sign == .minus && !r.isZero) ? q - 1 : q
    }

    /// The smallest integer not below `self`.
    public var ceiling: BigInt {
        let (q, r) = numerator.quotientAndRemainder(dividingBy: denominator)
        return (r.sign == .plus && !r.isZero) ? q + 1 : q
    }

    /// `k` when the denominator is `2^k`: every binary64 value, and every sum
    /// and product of them, is such a dyadic rational.
    private var dyadicExponent: Int? {
        let d = denominator.magnitude
        let zeros = d.trailingZeroBitCount
        return d.bitWidth == zeros + 1 ? zeros : nil
    }

    /// `numerator / 2^exponent` in lowest terms, without a gcd: only powers of two can cancel.
    private static func dyadic(_ numerator: BigInt, exponent: Int) -> Rational {
        if numerator.isZero { return .zero }
        let shift = Swift.min(numerator.magnitude.trailingZeroBitCount, exponent)
        return Rational(normalizedNumerator: numerator >> shift, denominator: BigInt(1) << (exponent - shift))
    }

    public static func + (a: Rational, b: Rational) -> Rational {
        // Weights, radii and their sums and products are dyadic: align instead of a gcd.
        if let ea = a.dyadicExponent, let eb = b.dyadicExponent {
            let e = Swift.max(ea, eb)
            return dyadic((a.numerator << (e - ea)) + (b.numerator << (e - eb)), exponent: e)
        }
        if a.denominator == b.denominator {
            return Rational(a.numerator + b.numerator, a.denominator)
        }
        return Rational(a.numerator * b.denominator + b.numerator * a.denominator, a.denominator * b.denominator)
    }

    public static prefix func - (a: Rational) -> Rational {
        Rational(normalizedNumerator: -a.numerator, denominator: a.denominator)
    }

    public static func - (a: Rational, b: Rational) -> Rational { a + (-b) }

    public static func * (a: Rational, b: Rational) -> Rational {
        if let ea = a.dyadicExponent, let eb = b.dyadicExponent {
            return dyadic(a.numerator * b.numerator, exponent: ea + eb)
        }
        return Rational(a.numerator * b.numerator, a.denominator * b.denominator)
    }

    /// Exact division. - Precondition: `b != 0`.
    public static func / (a: Rational, b: Rational) -> Rational {
        Rational(a.numerator * b.denominator, a.denominator * b.numerator)
    }

    public static func += (a: inout Rational, b: Rational) { a = a + b }
    public static func -= (a: inout Rational, b: Rational) { a = a - b }
    public static func *= (a: inout Rational, b: Rational) { a = a * b }

    public static func < (a: Rational, b: Rational) -> Bool {
        a.numerator * b.denominator < b.numerator * a.denominator
    }

    /// The larger of two rationals.
    public static func max(_ a: Rational, _ b: Rational) -> Rational { a < b ? b : a }
    /// The smaller of two rationals.
    public static func min(_ a: Rational, _ b: Rational) -> Rational { a < b ? a : b }
}

extension Sequence where Element == Rational {
    /// The exact sum of the elements.
    public func sum() -> Rational { reduce(Rational.zero, +) }
}
