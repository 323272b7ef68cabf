import ExactArithmetic
import Robustness

/// A certified interval for a maximal confidence deviation, with outward
/// rounding to binary64: `lower` is reached by a witness replayed in exact
/// arithmetic (or is 0), `upper` is proved.
public struct CertifiedInterval: Codable, Sendable, Equatable {
    public var lower: Double
    public var upper: Double
    /// Why the search stopped before the tolerance (a time limit), if it did.
    public var reason: String?
    public var seconds: Double

    init(_ bounds: DeviationBounds, reason: String?, seconds: Double) {
        lower = bounds.lower.roundedDown
        upper = bounds.upper.roundedUp
        self.reason = reason
        self.seconds = (seconds * 1000).rounded() / 1000
    }

    public var width: Double { upper - lower }
}

/// The global deviation over the input box at one width.
public struct BitsPoint: Codable, Sendable, Equatable {
    public var bits: Int
    public var deviation: CertifiedInterval
    /// The input of the replayed witness that reaches `deviation.lower`.
    public var witness: [Double]?
}

/// The local deviation at one test point.
public struct LocalPoint: Codable, Sendable, Equatable {
    /// `near` or `far` from the decision boundary.
    public var position: String
    public var input: [Double]
    /// σ(z) of the original network at the point (floating point; for orientation only).
    public var confidence: Double
    public var deviation: CertifiedInterval
}

/// The fewest widths of the study's grid that keep the deviation under τ.
public struct FewestBitsEntry: Codable, Sendable, Equatable {
    public var tau: Double
    /// The smallest grid width k such that the certified upper end is ≤ τ at k and at
    /// every larger grid width; `nil` when not even the largest is proved.
    public var rounding: Int?
    public var perturbation: Int?

    /// Reads the fewest width off a row of global points (τ compared exactly).
    static func fewest(_ points: [BitsPoint], tau: Rational) -> Int? {
        var fewest: Int?
        for point in points.sorted(by: { $0.bits > $1.bits }) {
            guard let upper = Rational(exactly: point.deviation.upper), upper <= tau else { break }
            fewest = point.bits
        }
        return fewest
    }
}

/// Everything the study computed for one network (one line of results.jsonl).
public struct NetworkRecord: ZooRecord, Equatable {
    public var entry: ZooEntry
    /// The settings the record was made with; resuming requires the same.
    public var settings: String
    /// The one network rounded to each width.
    public var rounding: [BitsPoint]
    /// Every parameter anywhere within the rounding error of each width.
    public var perturbation: [BitsPoint]
    public var fewestBits: [FewestBitsEntry]
    /// Perturbation set at the configuration's local width.
    public var local: [LocalPoint]
    public var seconds: Double
}
