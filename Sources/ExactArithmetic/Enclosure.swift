/// A closed interval `[lower, upper]` of rationals known to contain a real
/// number that is not itself rational (a value of exp, σ or softmax).
///
/// Conclusions drawn from an enclosure hold for the true value: a deviation is
/// only claimed to exceed τ when `lower > τ`, and only claimed to stay within τ
/// when `upper ≤ τ`.
public struct Enclosure: Sendable, Hashable, CustomStringConvertible {
    public let lower: Rational
    public let upper: Rational

    /// - Precondition: `lower <= upper`.
    public init(lower: Rational, upper: Rational) {
        precondition(!(upper < lower), "Enclosure with lower > upper")
        self.lower = lower
        self.upper = upper
    }

    /// The degenerate enclosure of an exact value.
    public init(exactly value: Rational) {
        self.lower = value
        self.upper = value
    }

    public var width: Rational { upper - lower }

    public var description: String { "[\(lower.approximateDouble), \(upper.approximateDouble)]" }

    /// Encloses `a - b` for every `a` in `self` and `b` in `other`.
    public func subtracting(_ other: Enclosure) -> Enclosure {
        Enclosure(lower: lower - other.upper, upper: upper - other.lower)
    }

    /// Encloses `|v|` for every `v` in `self`.
    public var magnitude: Enclosure {
        if !lower.isNegative { return self }
        if !upper.isPositive { return Enclosure(lower: -upper, upper: -lower) }
        return Enclosure(lower: .zero, upper: Rational.max(-lower, upper))
    }

    /// The smallest enclosure containing both.
    public func union(_ other: Enclosure) -> Enclosure {
        Enclosure(lower: Rational.min(lower, other.lower), upper: Rational.max(upper, other.upper))
    }

    /// Encloses `max(a, b)` for `a` in `self` and `b` in `other`.
    public func maximum(_ other: Enclosure) -> Enclosure {
        Enclosure(lower: Rational.max(lower, other.lower), upper: Rational.max(upper, other.upper))
    }
}
