import ExactArithmetic

/// A weight matrix as 64-bit integers, row k scaled by `2^shifts[k]`
/// (`W_kj = integers[k][j] · 2^−shifts[k]` exactly), for products with integer
/// vectors in machine arithmetic.
///
/// Dequantised weights `(q − z)·s` with a float32 scale per row have at most
/// 32 significant bits per row, so the rows fit; a matrix whose row needs more
/// than ``bitLimit`` bits has no integer form (``init(_:)`` returns nil) and
/// callers use rational arithmetic instead.
struct IntegerRows: Sendable {
    var integers: [[Int]]
    var shifts: [Int]

    /// Bits an integer weight may have: with |x_j| < 2^16 and at most 2^6 = 64
    /// of its terms summed before the overflow check matters, products stay far
    /// inside Int64; every sum is overflow-checked anyway.
    static let bitLimit = 40

    init?(_ weights: [[Double]]) {
        var integers: [[Int]] = [], shifts: [Int] = []
        for row in weights {
            // w = ±M·2^e with M odd; the row's shift is −min e.
            let parts = row.map { w -> (mantissa: Int, exponent: Int)? in
                guard w != 0 else { return nil }
                var m = Int(w.significand * 0x1p52), e = Int(w.exponent) - 52
                let zeros = m.trailingZeroBitCount
                m >>= zeros
                e += zeros
                return (w < 0 ? -m : m, e)
            }
            let lowest = parts.compactMap { $0?.exponent }.min() ?? 0
            var ints: [Int] = []
            for part in parts {
                guard let (m, e) = part else { ints.append(0); continue }
                let shift = e - lowest
                guard (Int.bitWidth - m.magnitude.leadingZeroBitCount) + shift <= Self.bitLimit else { return nil }
                ints.append(m << shift)
            }
            integers.append(ints)
            shifts.append(-lowest)
        }
        self.integers = integers
        self.shifts = shifts
    }

    /// `W·(scale·d)` exactly for an integer vector d, or nil if a sum overflows Int64.
    func product(_ d: [Int], scale: Rational) -> [Rational]? {
        var result: [Rational] = []
        result.reserveCapacity(integers.count)
        for (row, shift) in zip(integers, shifts) {
            var sum = 0
            for (w, x) in zip(row, d) where w != 0 && x != 0 {
                let (p, o1) = w.multipliedReportingOverflow(by: x)
                let (s, o2) = sum.addingReportingOverflow(p)
                if o1 || o2 { return nil }
                sum = s
            }
            result.append(Rational(sum) * scale * Rational.powerOfTwo(-shift))
        }
        return result
    }

    /// The range of `W·(scale·d)` over integer vectors `lower ≤ d ≤ upper`,
    /// exactly, or nil if a sum overflows Int64.
    func productRange(lower: [Int], upper: [Int], scale: Rational) -> [(lower: Rational, upper: Rational)]? {
        var result: [(lower: Rational, upper: Rational)] = []
        result.reserveCapacity(integers.count)
        for (row, shift) in zip(integers, shifts) {
            var low = 0, high = 0
            for j in row.indices where row[j] != 0 {
                let (a, b) = row[j] > 0 ? (lower[j], upper[j]) : (upper[j], lower[j])
                let (p, o1) = row[j].multipliedReportingOverflow(by: a)
                let (q, o2) = row[j].multipliedReportingOverflow(by: b)
                let (s, o3) = low.addingReportingOverflow(p)
                let (t, o4) = high.addingReportingOverflow(q)
                if o1 || o2 || o3 || o4 { return nil }
                (low, high) = (s, t)
            }
            let factor = scale * Rational.powerOfTwo(-shift)
            result.append((Rational(low) * factor, Rational(high) * factor))
        }
        return result
    }
}
