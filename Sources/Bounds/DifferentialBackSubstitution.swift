import NeuralNetwork

/// Back-substitution of a combination of two same-shape networks'
/// pre-activations, `Σ_k p_k·u_k + q_k·u'_k` (f's u, g's u'), to an input box
/// through both networks at once, with `max(0, u') − max(0, u)` relaxed as
/// one quantity wherever the combination weighs the two networks' ReLUs with
/// opposite signs. It bounds `g − f` at the outputs, and `δ = u' − u` at the
/// neurons whose ReLU is unstable in either network.
///
/// Why: the forward difference forms of ``DifferentialAnalysis`` relax each
/// neuron's `y' − y` into a constant-width band (`[0, δ]` where a ReLU of f
/// and g straddles 0 together) and carry that band on with `|W'|`: every
/// path through the later layers adds its own copy. Substituting backwards
/// instead composes the weights first and picks the band's end by the sign
/// of the composed coefficient, so paths that cancel in the networks cancel
/// in the bound. Around the input of ACAS Xu property 1 where the float16
/// copy deviates most (5.18e-5), over boxes 2^-10 of the region per side,
/// the forward bound is 2.6e-4 and this one 5.3e-5.
///
/// At a ReLU with coefficients P on y and Q on y' (after the weights above
/// are composed), `P·y + Q·y'` is bounded as `(P + Q)·y + Q·(y' − y)` when P
/// and Q have opposite signs and either ReLU is unstable: `y` by its
/// triangle, `y' − y` by the case of the two phases (`δ`, `u'`, `−u`, or the
/// chords of `max(0, δ)` and `min(0, δ)` over δ's proved range). Otherwise
/// each network's ReLU is relaxed on its own, as plain CROWN does.
///
/// Soundness follows ``BoxBackSubstitution``: coefficients are binary64
/// numbers computed in round-to-nearest; wherever one may differ from the
/// exact coefficient of the inequality it stands for, the difference's bound
/// times the largest magnitude of its variable (from the proved ranges) goes
/// into a non-negative slack; every relaxation's slope is rounded so that its
/// line stays valid; the constant and the slack are summed in round-to-nearest
/// and widened by rigorous bounds of their own rounding.
struct DifferentialBackSubstitution: Sendable {
    /// The proved pre-activation ranges of the layers below the target: f's,
    /// g's and `u' − u`'s, layer by layer.
    struct Ranges {
        var original: [[Interval]]
        var compressed: [[Interval]]
        var difference: [[Interval]]
    }

    private let original: [BoxBackSubstitution.Layer]
    private let compressed: [BoxBackSubstitution.Layer]
    private let widest: Int

    /// - Precondition: the two networks have the same layer sizes and activations.
    init(original f: Network, compressed g: Network) {
        precondition(f.hasSameLayers(as: g), "differential back-substitution needs networks of the same shape")
        original = BoxBackSubstitution.layers(of: f, radii: nil)
        compressed = BoxBackSubstitution.layers(of: g, radii: nil)
        widest = BoxBackSubstitution.widest(f)
    }

    /// Intersects the range of `u'_k − u_k` at layer `l` with its
    /// back-substituted bounds, for every neuron k where `unstable(k)`.
    func tightenDifference(_ difference: inout [Interval], layer l: Int, box: [Interval], below: Ranges,
                           where unstable: (Int) -> Bool) {
        var p = Array(repeating: 0.0, count: difference.count), q = p
        for k in difference.indices where unstable(k) {
            (p[k], q[k]) = (-1, 1)
            let upper = maximum(original: p, compressed: q, layer: l, box: box, below: below)
            (p[k], q[k]) = (1, -1)
            let lower = -maximum(original: p, compressed: q, layer: l, box: box, below: below)
            (p[k], q[k]) = (0, 0)
            let tightened = difference[k].intersecting(Interval(lower, upper))
            // Both are sound; an empty intersection can only come from rounding.
            if tightened.lower <= tightened.upper { difference[k] = tightened }
        }
    }

    /// An upper bound of `Σ_k p_k·u_k + q_k·u'_k` over layer `target`'s
    /// pre-activations (+∞ when binary64 overflowed).
    func maximum(original p: [Double], compressed q: [Double], layer target: Int, box: [Interval], below: Ranges) -> Double {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 6 * widest) { scratch in
            let base = scratch.baseAddress!
            var cF = base, cG = base + widest
            let nextF = base + 2 * widest, nextG = base + 3 * widest
            var previousF = base + 4 * widest, previousG = base + 5 * widest
            for k in p.indices { (cF[k], cG[k]) = (p[k], q[k]) }
            let u = BoxBackSubstitution.u, tiny = BoxBackSubstitution.tiny
            // Main terms and non-negative slack, each summed in round-to-nearest (``BoundSum``).
            var sum = BoundSum()
            func add(_ value: Double) { sum.add(value) }
            for t in stride(from: target, through: 0, by: -1) {
                let (m, n) = (original[t].outputs, original[t].inputs)
                // y's and y''s coefficients, each a row sum of one network's weights; returns
                // gamma·Σ|c_k|, which times max_k|W_kj| bounds the rounding of coefficient j.
                func rowSums(_ layer: BoxBackSubstitution.Layer, _ c: UnsafeMutablePointer<Double>,
                             into next: UnsafeMutablePointer<Double>) -> Double {
                    next.update(repeating: 0, count: n)
                    var bias = 0.0, biasMagnitude = 0.0, norm = 0.0
                    layer.weights.withUnsafeBufferPointer { w in
                        for k in 0..<m where c[k] != 0 {
                            let ck = c[k], wRow = w.baseAddress! + k * n
                            let b = ck * layer.biases[k]
                            bias += b
                            biasMagnitude += Swift.abs(b)
                            norm += Swift.abs(ck)
                            for j in 0..<n { next[j] += ck * wRow[j] }
                        }
                    }
                    let gamma = Double(2 * m + 3) * u
                    add(bias)
                    sum.slack += gamma * biasMagnitude + Double(2 * m + 1) * tiny
                    sum.slackTerms += 1
                    return gamma * norm
                }
                let scaledNormF = rowSums(original[t], cF, into: nextF)
                let scaledNormG = rowSums(compressed[t], cG, into: nextG)
                let underflow = Double(m + 1) * tiny
                for j in 0..<n where !nextF[j].isFinite || !nextG[j].isFinite { return Double.infinity }
                // |computed − exact| of y_j's coefficient.
                func errorF(_ j: Int) -> Double { scaledNormF * original[t].columnMagnitudes[j] + underflow }
                func errorG(_ j: Int) -> Double { scaledNormG * compressed[t].columnMagnitudes[j] + underflow }

                if t == 0 {
                    // Both networks read the same input: its coefficient is the sum.
                    for j in 0..<n {
                        let x = box[j], s = nextF[j] + nextG[j]
                        add(Swift.max(s * x.lower, s * x.upper))
                        sum.slack += (errorF(j) + errorG(j) + u * Swift.abs(s) + tiny) * x.magnitude
                    }
                    sum.slackTerms += n
                    break
                }
                let (rangesF, rangesG, rangesD) = (below.original[t - 1], below.compressed[t - 1], below.difference[t - 1])
                switch original[t - 1].activation {
                case .identity:
                    for j in 0..<n {
                        (previousF[j], previousG[j]) = (nextF[j], nextG[j])
                        sum.slack += errorF(j) * rangesF[j].magnitude + errorG(j) * rangesG[j].magnitude
                    }
                    sum.slackTerms += n
                case .relu:
                    for j in 0..<n {
                        var relaxation = NeuronRelaxation(f: rangesF[j], g: rangesG[j], d: rangesD[j])
                        // Σ (exact − computed)·y ≤ |error|·max y, with 0 ≤ y ≤ max(0, upper end).
                        sum.slack += errorF(j) * Swift.max(0, rangesF[j].upper) + errorG(j) * Swift.max(0, rangesG[j].upper)
                        relaxation.bound(original: nextF[j], compressed: nextG[j])
                        previousF[j] = relaxation.coefficientF
                        previousG[j] = relaxation.coefficientG
                        if relaxation.constantCount > 0 { add(relaxation.constants.0) }
                        if relaxation.constantCount > 1 { add(relaxation.constants.1) }
                        sum.slack += relaxation.slack
                        sum.slackTerms += relaxation.slackTerms
                    }
                }
                swap(&cF, &previousF)
                swap(&cG, &previousG)
            }
            return sum.upperBound
        }
    }
}

/// The upper bound of `P·y + Q·y'` at one neuron as a line in its
/// pre-activations u (f's) and u' (g's): the coefficients, the constant terms
/// (each one product, for the caller's main sum) and a slack that covers
/// every rounding of the coefficients (see ``DifferentialBackSubstitution``).
private struct NeuronRelaxation {
    /// The proved ranges of u, u' and δ = u' − u.
    let f: Interval, g: Interval, d: Interval
    private(set) var coefficientF = 0.0, coefficientG = 0.0
    /// At most two constant terms (two chords' anchors), without an array per neuron.
    private(set) var constants = (0.0, 0.0)
    private(set) var constantCount = 0
    private(set) var slack = 0.0, slackTerms = 0
    /// Σ of the magnitudes added to each coefficient, for the bound of those sums' rounding.
    private var addedF = 0.0, addedG = 0.0

    init(f: Interval, g: Interval, d: Interval) {
        (self.f, self.g, self.d) = (f, g, d)
    }

    /// Which pre-activation a line reads.
    private enum Variable { case original, compressed, difference }

    private static let u = BoxBackSubstitution.u, tiny = BoxBackSubstitution.tiny

    /// The smallest binary64 slope `s ≥ hi/(hi − lo)` up to rounding (never below it).
    private static func chordSlope(_ numerator: Double, over lo: Double, _ hi: Double) -> Double {
        (numerator / (hi - lo).nextDown).nextUp
    }

    /// Adds `q·a·(v − anchor)`: `fl(q·a)` as v's coefficient and its product
    /// with −anchor as a constant. `spread` bounds `|v − anchor|` over v's range;
    /// with `a` other than 0 or ±1, `|q·a − fl(q·a)|·spread` goes into the slack.
    private mutating func line(_ q: Double, slope a: Double, _ v: Variable, anchor: Double = 0, spread: Double = 0) {
        let qa = q * a
        if a != 1 && a != -1 && a != 0 {
            slack += (Self.u * Swift.abs(qa) + Self.tiny) * spread
            slackTerms += 1
        }
        switch v {
        case .original: coefficientF += qa; addedF += Swift.abs(qa)
        case .compressed: coefficientG += qa; addedG += Swift.abs(qa)
        case .difference:
            coefficientF -= qa; addedF += Swift.abs(qa)
            coefficientG += qa; addedG += Swift.abs(qa)
        }
        if anchor != 0 {
            precondition(constantCount < 2, "a neuron's relaxation has at most two chords")
            if constantCount == 0 { constants.0 = qa * -anchor } else { constants.1 = qa * -anchor }
            constantCount += 1
        }
    }

    /// `c·max(0, v)` bounded above, with v in `range`: by its chord when c ≥ 0,
    /// by `v` or 0 (the better of the two lower lines) when c < 0.
    private mutating func relu(_ c: Double, _ v: Variable, range: Interval) {
        let (lo, hi) = (range.lower, range.upper)
        if hi <= 0 || c == 0 { return }
        if lo >= 0 {
            line(c, slope: 1, v)
        } else if c < 0 {
            if hi > -lo { line(c, slope: 1, v) }
        } else {
            line(c, slope: Self.chordSlope(hi, over: lo, hi), v, anchor: lo, spread: (hi - lo).nextUp)
        }
    }

    /// `max(0, δ)` from above (upper) or `min(0, δ)` from below, times q ≥ 0
    /// (or, for the other end, q ≤ 0): δ itself where its range has one sign,
    /// else the chord over that range.
    private mutating func positivePart(_ q: Double) {
        if d.lower >= 0 { line(q, slope: 1, .difference) }
        else if d.upper > 0 {
            line(q, slope: Self.chordSlope(d.upper, over: d.lower, d.upper), .difference,
                 anchor: d.lower, spread: (d.upper - d.lower).nextUp)
        }
    }

    private mutating func negativePart(_ q: Double) {
        if d.upper <= 0 { line(q, slope: 1, .difference) }
        else if d.lower < 0 {
            // min(0, δ) ≥ s·(δ − d.upper) for any s ≥ −d.lower/(d.upper − d.lower).
            line(q, slope: Self.chordSlope(-d.lower, over: d.lower, d.upper), .difference,
                 anchor: d.upper, spread: (d.upper - d.lower).nextUp)
        }
    }

    /// Bounds `P·y + Q·y'` from above.
    mutating func bound(original p: Double, compressed q: Double) {
        let fStable = f.lower >= 0 || f.upper <= 0, gStable = g.lower >= 0 || g.upper <= 0
        if (fStable && gStable) || !(p < 0 && q > 0 || p > 0 && q < 0) {
            relu(p, .original, range: f)
            relu(q, .compressed, range: g)
        } else {
            // (P + Q)·y + Q·(y' − y): the sum's rounding times max y goes into the slack.
            let s = p + q
            slack += (Self.u * Swift.abs(s) + Self.tiny) * Swift.max(0, f.upper)
            slackTerms += 1
            relu(s, .original, range: f)
            difference(q)
        }
        // Each coefficient is a sum of at most three terms: its rounding is below 4u·Σ|terms|.
        slack += (4 * Self.u * addedF + 2 * Self.tiny) * f.magnitude + (4 * Self.u * addedG + 2 * Self.tiny) * g.magnitude
        slackTerms += 2
    }

    /// `Q·(y' − y)` from above, case by case on the phases the ranges fix (at
    /// least one of the two ReLUs is unstable). For Q ≥ 0 the upper line of
    /// `y' − y`, for Q < 0 its lower one.
    private mutating func difference(_ q: Double) {
        let fActive = f.lower >= 0, fInactive = f.upper <= 0
        let gActive = g.lower >= 0, gInactive = g.upper <= 0
        let upper = q >= 0
        if fInactive {                      // y' − y = max(0, u')
            relu(q, .compressed, range: g)
        } else if gInactive {               // y' − y = −max(0, u')
            relu(-q, .original, range: f)
        } else if fActive {                 // y' − y = max(δ, −u) ∈ [δ, max(0, δ)]
            if upper { positivePart(q) } else { line(q, slope: 1, .difference) }
        } else if gActive {                 // y' − y = min(δ, u') ∈ [min(0, δ), δ]
            if upper { line(q, slope: 1, .difference) } else { negativePart(q) }
        } else {                            // both unstable: [min(0, δ), max(0, δ)]
            if upper { positivePart(q) } else { negativePart(q) }
        }
    }
}
