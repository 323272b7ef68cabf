import ExactArithmetic
import Foundation
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

extension InputRegion {
    /// The exact box of normalised inputs the raw region maps to (clamped, then
    /// `(x − mean)/range`, which is monotone in each input).
    public func normalized(by normalization: InputNormalization?) -> [(lower: Rational, upper: Rational)] {
        guard let normalization else { return Array(zip(lower, upper)) }
        let low = normalization.normalize(lower), high = normalization.normalize(upper)
        return zip(low, high).map { ($0 < $1 ? $0 : $1, $0 < $1 ? $1 : $0) }
    }

    /// Checks that the box has one interval per input and none is empty.
    public func validate(inputSize: Int) throws {
        guard dimension == inputSize else {
            throw QueryError("the box has \(dimension) intervals, the network takes \(inputSize) inputs")
        }
        for i in 0..<dimension where upper[i] < lower[i] {
            throw QueryError("the box is empty: interval \(i + 1) has lower bound \(lower[i].approximateDouble) above its upper bound \(upper[i].approximateDouble)")
        }
    }
}
