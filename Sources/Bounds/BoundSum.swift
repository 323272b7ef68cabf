/// The two sums a back-substituted bound adds up (``BoxBackSubstitution``,
/// ``DifferentialBackSubstitution``), both in round-to-nearest and widened
/// once at the end, so that no term waits for a directed rounding of the one
/// before it:
/// - main terms (bias sums, relaxations' constants, the box's extremes at the
///   input), each a product or a sum computed in round-to-nearest: with N of
///   them, `|computed − exact| ≤ (2N + 3)·u·Σ|term| + N·2^-1074` (Higham §3.1);
/// - slack: error terms and other non-negative shares, each at most eight
///   roundings of non-negative values: with S of them the exact sum is at
///   most `(computed + 8S·2^-1074)·(1 + 2(S + 8)·u)`.
struct BoundSum {
    private var constant = 0.0, magnitude = 0.0, terms = 0
    /// The non-negative slack and how many terms it has.
    var slack = 0.0, slackTerms = 0

    /// Adds a main term.
    mutating func add(_ value: Double) {
        constant += value
        magnitude += Swift.abs(value)
        terms += 1
    }

    /// An upper bound of the exact sum of every term; +∞ where binary64 overflowed.
    var upperBound: Double {
        let u = 0x1p-53, tiny = 0x1p-1074
        let mainError = ((Double(2 * terms + 3) * u * magnitude).nextUp + Double(terms) * tiny).nextUp
        let slackBound = ((slack + Double(8 * slackTerms) * tiny).nextUp * (1 + Double(2 * (slackTerms + 8)) * u)).nextUp
        let bound = ((constant + mainError).nextUp + slackBound).nextUp
        return bound.isNaN ? .infinity : bound
    }
}
