import ExactArithmetic

/// A closed interval of binary64 numbers with outward rounding: every
/// operation moves its result one unit in the last place outward on each
/// side, so the real-valued result is always inside. This is how the Bounds
/// module stays sound without exact arithmetic: bounds are computed in
/// floating point and only ever widened.
public struct Interval: Sendable, Equatable, CustomStringConvertible {
    public var lower: Double
    public var upper: Double

    public init(_ lower: Double, _ upper: Double) {
        self.lower = lower
        self.upper = upper
    }

    /// The tightest binary64 interval around an exact value.
    public init(exactly value: Rational) {
        self.init(value.roundedDown, value.roundedUp)
    }

    public static let zero = Interval(0, 0)

    public static func + (a: Interval, b: Interval) -> Interval {
        Interval((a.lower + b.lower).nextDown, (a.upper + b.upper).nextUp)
    }

    public static func - (a: Interval, b: Interval) -> Interval {
        Interval((a.lower - b.upper).nextDown, (a.upper - b.lower).nextUp)
    }

    public static prefix func - (a: Interval) -> Interval { Interval(-a.upper, -a.lower) }

    public static func * (a: Interval, b: Interval) -> Interval {
        let p = a.lower * b.lower, q = a.lower * b.upper, r = a.upper * b.lower, s = a.upper * b.upper
        return Interval(Swift.min(Swift.min(p, q), Swift.min(r, s)).nextDown,
                        Swift.max(Swift.max(p, q), Swift.max(r, s)).nextUp)
    }

    /// The interval of one binary64 number.
    public init(_ value: Double) { self.init(value, value) }

    /// `w · [lower, upper]` for a constant w.
    public func scaled(by w: Double) -> Interval {
        if w == 0 { return .zero }
        let a = w * lower, b = w * upper
        return Interval(Swift.min(a, b).nextDown, Swift.max(a, b).nextUp)
    }

    /// `[lower − r, upper + r]`.
    public func widened(by r: Double) -> Interval {
        Interval((lower - r).nextDown, (upper + r).nextUp)
    }

    /// The largest magnitude in the interval.
    public var magnitude: Double { Swift.max(abs(lower), abs(upper)) }

    public var width: Double { upper - lower }

    public var midpoint: Double { lower / 2 + upper / 2 }

    public func relu() -> Interval { Interval(Swift.max(0, lower), Swift.max(0, upper)) }

    /// The common part of two intervals that both contain the same value.
    public func intersecting(_ other: Interval) -> Interval {
        Interval(Swift.max(lower, other.lower), Swift.min(upper, other.upper))
    }

    public var description: String { "[\(lower), \(upper)]" }
}
