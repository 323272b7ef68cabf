import ExactArithmetic

/// A closed interval of binary64 numbers with outward rounding: every
/// operation widens its result by one unit in the last place on each side, so
/// the true real-valued result is always inside. Used for bound propagation,
/// never for reported numbers.
struct Interval: Sendable, Equatable {
    var lower: Double
    var upper: Double

    init(_ lower: Double, _ upper: Double) {
        self.lower = lower
        self.upper = upper
    }

    init(exactly value: Rational) {
        self.init(value.roundedDown, value.roundedUp)
    }

    static let zero = Interval(0, 0)

    static func + (a: Interval, b: Interval) -> Interval {
        Interval((a.lower + b.lower).nextDown, (a.upper + b.upper).nextUp)
    }

    /// `w · [lower, upper]` for a constant w.
    func scaled(by w: Double) -> Interval {
        if w == 0 { return .zero }
        let a = (w * lower), b = (w * upper)
        return Interval(Swift.min(a, b).nextDown, Swift.max(a, b).nextUp)
    }

    /// `[-r, r]` grown around the interval.
    func widened(by r: Double) -> Interval {
        Interval((lower - r).nextDown, (upper + r).nextUp)
    }

    /// The largest magnitude in the interval.
    var magnitude: Double { Swift.max(abs(lower), abs(upper)) }

    func relu() -> Interval { Interval(Swift.max(0, lower), Swift.max(0, upper)) }
}
