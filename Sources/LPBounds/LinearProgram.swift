import Bounds

/// A linear program `max c·v` subject to one-sided rows (`a_r·v ≤ b_r` or
/// `a_r·v ≥ b_r`) and finite bounds `l ≤ v ≤ u` on every variable.
///
/// Row coefficients are intervals that contain the true coefficients (a
/// weight plus a radius need not be a binary64 number): the solver sees
/// their midpoints, and ``SafeBound`` proves its bounds for every matrix
/// inside the intervals, so they hold for the true one. Right-hand sides are
/// given rounded outward (up for `≤`, down for `≥`), which only enlarges the
/// feasible set. Variable bounds can be changed between solves (branch and
/// bound fixes ReLU phases that way); rows are fixed once built.
public struct LinearProgram: Sendable {
    /// The sense of a row.
    public enum Sense: Sendable { case atMost, atLeast }

    /// One row `Σ a_j v_j ≤ b` or `≥ b`.
    public struct Row: Sendable {
        public var terms: [(variable: Int, coefficient: Interval)]
        public var sense: Sense
        public var bound: Double
    }

    public private(set) var lower: [Double] = []
    public private(set) var upper: [Double] = []
    /// The objective's coefficients (maximised); exact binary64 numbers.
    public var objective: [Double] = []
    public private(set) var rows: [Row] = []

    public init() {}

    /// The same variables and objective with other rows (module-internal: no checks).
    init(copying other: LinearProgram, rows: [Row]) {
        lower = other.lower
        upper = other.upper
        objective = other.objective
        self.rows = rows
    }

    public var variableCount: Int { lower.count }

    /// Adds a variable with finite bounds `lower ≤ upper`; returns its index.
    /// - Throws: ``LPError`` for infinite or crossed bounds.
    public mutating func addVariable(lower: Double, upper: Double, objective: Double = 0) throws -> Int {
        try Self.check(lower, upper)
        self.lower.append(lower)
        self.upper.append(upper)
        self.objective.append(objective)
        return self.lower.count - 1
    }

    /// Adds a row (terms of one variable are merged); returns its index.
    /// - Throws: ``LPError`` for an unknown variable or a bound that is not finite.
    @discardableResult
    public mutating func addRow(_ terms: [(variable: Int, coefficient: Interval)], _ sense: Sense, _ bound: Double) throws -> Int {
        guard bound.isFinite else { throw LPError("a row needs a finite right-hand side, got \(bound)") }
        var merged: [(variable: Int, coefficient: Interval)] = []
        var position: [Int: Int] = [:]
        for term in terms {
            guard lower.indices.contains(term.variable) else { throw LPError("a row names variable \(term.variable) of \(lower.count)") }
            if let p = position[term.variable] {
                merged[p].coefficient = merged[p].coefficient + term.coefficient
            } else {
                position[term.variable] = merged.count
                merged.append(term)
            }
        }
        rows.append(Row(terms: merged, sense: sense, bound: bound))
        return rows.count - 1
    }

    /// Replaces a variable's bounds (still finite, `lower ≤ upper`).
    public mutating func setBounds(_ variable: Int, lower: Double, upper: Double) throws {
        try Self.check(lower, upper)
        self.lower[variable] = lower
        self.upper[variable] = upper
    }

    private static func check(_ lower: Double, _ upper: Double) throws {
        guard lower.isFinite, upper.isFinite, lower <= upper else {
            throw LPError("a variable needs finite bounds lower ≤ upper, got [\(lower), \(upper)]")
        }
    }
}

/// A linear program that cannot be built or solved as asked (a bug of the
/// caller's, or GLPK failing); callers keep their other bounds then.
public struct LPError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
