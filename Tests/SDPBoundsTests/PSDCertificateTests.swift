import Bounds
import Foundation
import Testing
import TestSupport
@testable import SDPBounds

/// The positive-semidefiniteness proof against matrices whose spectrum is
/// known by construction: `Q·diag(λ)·Qᵀ` with Q a product of Givens rotations.
@Suite struct PSDCertificateTests {
    static func matrix(eigenvalues: [Double], seed: UInt64) -> IntervalMatrix {
        let n = eigenvalues.count
        var q = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<(3 * n) {
            let i = Int.random(in: 0..<n, using: &rng), j = Int.random(in: 0..<n, using: &rng)
            if i == j { continue }
            let t = Double.random(in: 0..<(2 * .pi), using: &rng), c = cos(t), s = sin(t)
            for r in 0..<n {
                let (a, b) = (q[r][i], q[r][j])
                q[r][i] = c * a - s * b
                q[r][j] = s * a + c * b
            }
        }
        var m = IntervalMatrix(order: n)
        for i in 0..<n {
            for j in i..<n {
                let v = (0..<n).reduce(0.0) { $0 + q[i][$1] * eigenvalues[$1] * q[j][$1] }
                // Entries as narrow intervals, as the SDP module builds them.
                m.add(i, j, Interval(v.nextDown, v.nextUp))
            }
        }
        return m
    }

    @Test(arguments: [
        [3.0, 1.0],
        [2.0, 1.0, 0.5, 0.25, 0.125],
        [1.0, 1.0, 1.0, 1.0, 0.0],
        [4.0, 2.0, 1.0, 1e-3, 0.0, 0.0],
        [1.0, 0.5, -0.001],
    ])
    func boundIsBelowTheSmallestEigenvalueAndClose(_ eigenvalues: [Double]) throws {
        for seed in UInt64(1)...5 {
            let smallest = eigenvalues.min()!
            let bound = try #require(PSDCertificate.smallestEigenvalueBound(Self.matrix(eigenvalues: eigenvalues, seed: seed)))
            // Rounding in building the matrix moves eigenvalues by ~1e-15: the bound may not exceed that.
            #expect(bound <= smallest + 1e-12, "\(eigenvalues) seed \(seed): \(bound)")
            if smallest >= 0 {
                #expect(bound >= -1e-7, "\(eigenvalues) seed \(seed): a PSD matrix is certified up to a tiny shift, got \(bound)")
            }
            if smallest > 1e-3 { #expect(bound >= 0, "positive definite must be proved outright") }
        }
    }

    @Test func clearlyIndefiniteMatrixGetsNoNonnegativeBound() {
        let bound = PSDCertificate.smallestEigenvalueBound(Self.matrix(eigenvalues: [1, 1, -2], seed: 9))
        // Either no shift up to 1% factors, or the bound says how negative it is.
        #expect(bound == nil || bound! <= -2 + 1e-12)
    }
}
