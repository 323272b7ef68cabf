import ExactArithmetic
import Robustness

/// What the activation study computes for every network.
public struct StudyConfiguration: Sendable {
    /// Fixed-point widths k (fractional bits, rounding to nearest).
    public var bits: [Int]
    /// Thresholds τ for the fewest-bits columns.
    public var taus: [Rational]
    /// The width of the local queries at test points and of the heat map.
    public var localBits: Int
    /// Wall-clock limit of each global query; the answer is then the certified interval reached.
    public var timeLimitPerQuery: Double
    /// The global search stops once the interval is this narrow.
    public var tolerance: Rational
    /// Parallel branches of each global query.
    public var jobs: Int

    public init(bits: [Int] = Array(2...12), taus: [Rational] = [Rational(1, 100), Rational(5, 100), Rational(1, 10)],
                localBits: Int = 6, timeLimitPerQuery: Double = 2, tolerance: Rational = Rational(1, 1000), jobs: Int = 2) {
        self.bits = bits
        self.taus = taus
        self.localBits = localBits
        self.timeLimitPerQuery = timeLimitPerQuery
        self.tolerance = tolerance
        self.jobs = jobs
    }

    /// Rejects settings without meaning.
    public func validate() throws {
        guard !bits.isEmpty, bits.allSatisfy({ (0...52).contains($0) }) else {
            throw StudyError("the bit widths must lie between 0 and 52, found \(bits)")
        }
        guard !taus.isEmpty, taus.allSatisfy(\.isPositive) else { throw StudyError("every τ must be > 0") }
        guard (0...52).contains(localBits) else { throw StudyError("the local width must be between 0 and 52, found \(localBits)") }
        guard timeLimitPerQuery > 0 else { throw StudyError("the time limit per query must be > 0") }
        guard tolerance.isPositive else { throw StudyError("the tolerance must be > 0") }
        guard (1...GlobalQuery.maximumJobs).contains(jobs) else {
            throw StudyError("the number of jobs must be between 1 and \(GlobalQuery.maximumJobs), found \(jobs)")
        }
    }
}
