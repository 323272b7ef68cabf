import Foundation
import Compression
import ExactArithmetic
import NeuralNetwork

/// An axis-aligned box of raw inputs, `lower[i] ≤ x_i ≤ upper[i]`.
public struct InputRegion: Sendable, Equatable, CustomStringConvertible {
    public var lower: [Rational]
    public var upper: [Rational]

    public init(lower: [Rational], upper: [Rational]) {
        self.lower = lower
        self.upper = upper
    }

    /// Parses `"lo:hi,lo:hi,…"` with exact decimals or fractions (`"0:1,1:2"`, `"-1/3:0.5"`).
    /// - Throws: ``QueryError`` naming the entry that is wrong.
    public init(parsing text: String) throws {
        var lower: [Rational] = [], upper: [Rational] = []
        for (i, entry) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let ends = entry.split(separator: ":", omittingEmptySubsequences: false)
            guard ends.count == 2 else {
                throw QueryError("box entry \(i + 1) '\(entry)' is not of the form lo:hi")
            }
            guard let lo = Rational(parsing: ends[0].trimmingCharacters(in: .whitespaces)),
                  let hi = Rational(parsing: ends[1].trimmingCharacters(in: .whitespaces)) else {
                throw QueryError("box entry \(i + 1) '\(entry)' has a bound that is not a finite number")
            }
            lower.append(lo)
            upper.append(hi)
        }
        self.init(lower: lower, upper: upper)
    }

    public var dimension: Int { lower.count }

    public var description: String {
        zip(lower, upper).map { "\($0.approximateDouble):\($1.approximateDouble)" }.joined(separator: ",")
    }
}

/// A global robustness question over an input box (design.md §1.3).
public struct GlobalQuery: Sendable {
    public var network: Network
    public var compression: CompressionModel
    /// Raw inputs; the network's input normalisation (if any) is applied to the box.
    public var region: InputRegion
    /// `logit` or `probability` (flip is a local question for now).
    public var metric: Metric
    /// The threshold τ > 0; with it the search stops as soon as the answer is
    /// decided, without it it narrows the maximal deviation to the tolerance.
    public var tau: Rational?
    /// The widest certified interval for the maximal deviation the search may stop at.
    public var tolerance: Rational
    /// Wall-clock limit in seconds; nil for none.
    public var timeLimit: Double?
    /// Branches searched in parallel (one Z3 context each).
    public var jobs: Int

    public init(network: Network, compression: CompressionModel, region: InputRegion, metric: Metric = .probability,
                tau: Rational? = nil, tolerance: Rational = Rational(1, 10_000), timeLimit: Double? = nil, jobs: Int = 2) {
        self.network = network
        self.compression = compression
        self.region = region
        self.metric = metric
        self.tau = tau
        self.tolerance = tolerance
        self.timeLimit = timeLimit
        self.jobs = jobs
    }

    /// Rejects questions that have no meaning, before any search.
    public func validate() throws {
        guard region.dimension == network.inputSize else {
            throw QueryError("the box has \(region.dimension) intervals, the network takes \(network.inputSize) inputs")
        }
        for i in 0..<region.dimension where region.upper[i] < region.lower[i] {
            throw QueryError("the box is empty: interval \(i + 1) has lower bound \(region.lower[i].approximateDouble) above its upper bound \(region.upper[i].approximateDouble)")
        }
        if metric == .flip {
            throw QueryError("the flip metric is answered per input (qrobust local); over a box, use --metric logit or probability")
        }
        try validateThresholds(tau: tau, tolerance: tolerance, timeLimit: timeLimit, metric: metric, output: network.output)
        guard jobs >= 1 else { throw QueryError("--jobs must be at least 1, found \(jobs)") }
    }
}
