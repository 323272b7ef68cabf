import ExactArithmetic
import Foundation
import NeuralNetwork

/// The largest squared output difference among many points of a
/// ``ShiftedPair``'s box: a grid in 1-D and 2-D, the vertices, and a
/// low-discrepancy sequence. The best point is replayed in exact arithmetic, so
/// the value is a true lower bound on the maximum.
struct Sampler {
    var pair: ShiftedPair
    var count: Int

    func largestSquaredDifference() -> (value: Double, point: [Double]) {
        let lower = pair.region.lower.map(\.roundedUp), upper = pair.region.upper.map(\.roundedDown)
        let n = lower.count
        func clamp(_ p: [Double]) -> [Double] { p.indices.map { min(max(p[$0], lower[$0]), upper[$0]) } }
        var best = (value: -1.0, point: lower)
        func consider(_ point: [Double]) {
            let p = clamp(point)
            let a = pair.original.logits(at: p), b = pair.compressed.logits(at: p)
            let value = zip(a, b).map { ($1 - $0) * ($1 - $0) }.max()!
            if value > best.value { best = (value, p) }
        }
        for v in 0..<(n <= 16 ? 1 << n : 0) {
            consider((0..<n).map { (v >> $0) & 1 == 0 ? lower[$0] : upper[$0] })
        }
        if n <= 2 {
            let steps = n == 1 ? 4000 : 200
            let grid = (0...steps).map { Double($0) / Double(steps) }
            if n == 1 {
                for s in grid { consider([lower[0] + s * (upper[0] - lower[0])]) }
            } else {
                for s in grid { for r in grid { consider([lower[0] + s * (upper[0] - lower[0]), lower[1] + r * (upper[1] - lower[1])]) } }
            }
        }
        // The R_n low-discrepancy sequence (additive recurrence on the
        // generalised golden ratio φ_n, the root of x^(n+1) = x + 1): even
        // coverage, and the same points every run.
        var phi = 2.0
        for _ in 0..<64 { phi = pow(1 + phi, 1 / Double(n + 1)) }
        let alpha = (1...n).map { 1 / pow(phi, Double($0)) }
        for k in 0..<count {
            consider((0..<n).map { i in
                let u = (0.5 + Double(k + 1) * alpha[i]).truncatingRemainder(dividingBy: 1)
                return lower[i] + u * (upper[i] - lower[i])
            })
        }
        // Clamped exactly: a box end that is not a binary64 number has no double inside it.
        let x = best.point.indices.map { i in
            min(max(Rational(exactly: best.point[i])!, pair.region.lower[i]), pair.region.upper[i])
        }
        let exact = zip(pair.original.exactLogits(at: x), pair.compressed.exactLogits(at: x))
            .map { ($1 - $0) * ($1 - $0) }.max()!
        return (exact.roundedDown, best.point)
    }
}

