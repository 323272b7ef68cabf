import ExactArithmetic

/// The `.nnet` input pre-processing: a raw input is clamped to `[min, max]`,
/// then mapped to `(x − mean) / range` before the first layer. The output
/// scaling (`outputMean`, `outputRange`) is kept for writing files back, but
/// every query is about the network's own outputs, before that scaling.
public struct InputNormalization: Sendable, Equatable {
    public var minimums: [Double]
    public var maximums: [Double]
    public var means: [Double]
    public var ranges: [Double]
    public var outputMean: Double
    public var outputRange: Double

    public init(minimums: [Double], maximums: [Double], means: [Double], ranges: [Double],
                outputMean: Double = 0, outputRange: Double = 1) {
        self.minimums = minimums
        self.maximums = maximums
        self.means = means
        self.ranges = ranges
        self.outputMean = outputMean
        self.outputRange = outputRange
    }

    /// Whether it changes nothing: means 0, ranges 1, and clamps no tighter
    /// than float32's range (.nnet files write ±3.40282e+38 or ±1.8e308 for "none").
    public var isIdentity: Bool {
        let unbounded = 3.4e38
        return means.allSatisfy { $0 == 0 } && ranges.allSatisfy { $0 == 1 }
            && minimums.allSatisfy { $0 <= -unbounded } && maximums.allSatisfy { $0 >= unbounded }
    }

    /// Whether two optional normalisations map raw inputs the same way
    /// (output scaling is not compared; no normalisation equals the identity).
    public static func sameInputMapping(_ a: InputNormalization?, _ b: InputNormalization?) -> Bool {
        func fields(_ n: InputNormalization?) -> [[Double]]? {
            guard let n, !n.isIdentity else { return nil }
            return [n.minimums, n.maximums, n.means, n.ranges]
        }
        return fields(a) == fields(b)
    }

    /// Clamps and normalises a raw input exactly.
    public func normalize(_ x: [Rational]) -> [Rational] {
        x.indices.map { i in
            var v = x[i]
            if let lo = Rational(exactly: minimums[i]), v < lo { v = lo }
            if let hi = Rational(exactly: maximums[i]), hi < v { v = hi }
            return (v - Rational(exactly: means[i])!) / Rational(exactly: ranges[i])!
        }
    }

    /// Clamps and normalises a raw input in floating point.
    public func normalize(_ x: [Double]) -> [Double] {
        x.indices.map { i in (Swift.min(Swift.max(x[i], minimums[i]), maximums[i]) - means[i]) / ranges[i] }
    }

    /// Checks sizes and values; `ranges` must be finite and non-zero.
    func validate(inputSize: Int) throws {
        for (name, values) in [("minimums", minimums), ("maximums", maximums), ("means", means), ("ranges", ranges)] {
            guard values.count == inputSize else {
                throw ModelError(place: "input normalisation \(name)",
                                 problem: "expected \(inputSize) values, found \(values.count)")
            }
        }
        for i in 0..<inputSize {
            guard !minimums[i].isNaN, !maximums[i].isNaN, minimums[i] <= maximums[i] else {
                throw ModelError(place: "input normalisation of input \(i)", problem: "minimum \(minimums[i]) is not ≤ maximum \(maximums[i])")
            }
            guard means[i].isFinite else {
                throw ModelError(place: "input normalisation mean of input \(i)", problem: "\(means[i]) is not a finite number")
            }
            guard ranges[i].isFinite, ranges[i] != 0 else {
                throw ModelError(place: "input normalisation range of input \(i)", problem: "\(ranges[i]) is not a finite non-zero number")
            }
        }
        guard outputMean.isFinite, outputRange.isFinite, outputRange != 0 else {
            throw ModelError(place: "output normalisation", problem: "mean \(outputMean) and range \(outputRange) must be finite, range non-zero")
        }
    }
}
