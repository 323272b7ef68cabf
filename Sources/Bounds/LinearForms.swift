/// One linear function of the input, `c·x + c₀`, per neuron of a layer, with
/// interval coefficients so that floating-point rounding stays sound.
///
/// A bank is used either as *lower* forms (the neuron's value is at least the
/// smallest value any coefficient choice gives at x) or as *upper* forms
/// (at most the largest); which one is the caller's to know. Every operation
/// rounds outward, so both readings survive floating point.
///
/// Storage is flat: neuron k's coefficient i is at `k·stride + i`, with the
/// constant at `i = inputs`.
public struct LinearForms: Sendable {
    /// Number of input variables n.
    public let inputs: Int
    /// Number of forms (neurons).
    public private(set) var count: Int
    var lo: [Double]
    var hi: [Double]

    var stride: Int { inputs + 1 }

    /// `count` zero forms over `inputs` variables.
    public init(zeros count: Int, inputs: Int) {
        self.inputs = inputs
        self.count = count
        lo = Array(repeating: 0, count: count * (inputs + 1))
        hi = lo
    }

    /// The identity: form i is `x_i`.
    public static func identity(inputs: Int) -> LinearForms {
        var forms = LinearForms(zeros: inputs, inputs: inputs)
        for i in 0..<inputs {
            forms.lo[i * forms.stride + i] = 1
            forms.hi[i * forms.stride + i] = 1
        }
        return forms
    }

    /// Form k's coefficient i (i = `inputs` is the constant).
    public func coefficient(_ k: Int, _ i: Int) -> Interval {
        Interval(lo[k * stride + i], hi[k * stride + i])
    }

    /// `M_k = max_i max(|lo_ki|, |hi_ki|)` for every form k: a bound on the
    /// magnitude of each of its coefficients (``FormPair/accumulate(into:_:wideFrom:)``).
    var largestMagnitudes: [Double] {
        (0..<count).map { k in
            var m = 0.0
            for i in k * stride..<(k + 1) * stride { m = Swift.max(m, Swift.max(abs(lo[i]), abs(hi[i]))) }
            return m
        }
    }

    /// Sets form k to zero.
    mutating func clear(_ k: Int) {
        for i in 0..<stride {
            lo[k * stride + i] = 0
            hi[k * stride + i] = 0
        }
    }

    /// Adds `[a, b]` to form k's constant.
    mutating func addConstant(_ k: Int, _ a: Double, _ b: Double) {
        let c = k * stride + inputs
        lo[c] = (lo[c] + a).nextDown
        hi[c] = (hi[c] + b).nextUp
    }

    /// `self[k] += w · source[j]`, rounded outward.
    mutating func add(_ k: Int, _ w: Double, _ source: LinearForms, _ j: Int) {
        if w == 0 { return }
        let width = stride, target = k * width, from = j * width
        source.lo.withUnsafeBufferPointer { sLo in
            source.hi.withUnsafeBufferPointer { sHi in
                lo.withUnsafeMutableBufferPointer { tLo in
                    hi.withUnsafeMutableBufferPointer { tHi in
                        if w > 0 {
                            for i in 0..<width {
                                tLo[target + i] = (tLo[target + i] + (w * sLo[from + i]).nextDown).nextDown
                                tHi[target + i] = (tHi[target + i] + (w * sHi[from + i]).nextUp).nextUp
                            }
                        } else {
                            for i in 0..<width {
                                tLo[target + i] = (tLo[target + i] + (w * sHi[from + i]).nextDown).nextDown
                                tHi[target + i] = (tHi[target + i] + (w * sLo[from + i]).nextUp).nextUp
                            }
                        }
                    }
                }
            }
        }
    }

    /// Form k replaced by `w · (form k + shift)` for `w ≥ 0`, rounded outward.
    mutating func shiftAndScale(_ k: Int, shift: Double, by w: Double) {
        addConstant(k, shift, shift)
        let base = k * stride
        for i in 0..<stride {
            lo[base + i] = (w * lo[base + i]).nextDown
            hi[base + i] = (w * hi[base + i]).nextUp
        }
    }

    /// Copies `source[j]`, negated when asked, into form k.
    mutating func copy(_ k: Int, from source: LinearForms, _ j: Int, negated: Bool = false) {
        let target = k * stride, from = j * stride
        for i in 0..<stride {
            if negated {
                lo[target + i] = -source.hi[from + i]
                hi[target + i] = -source.lo[from + i]
            } else {
                lo[target + i] = source.lo[from + i]
                hi[target + i] = source.hi[from + i]
            }
        }
    }

    /// Every form negated (`−c·x − c₀`, interval coefficients swapped): a lower
    /// form of `−y` from an upper form of y, and the other way round.
    var negated: LinearForms {
        var result = self
        for n in lo.indices {
            result.lo[n] = -hi[n]
            result.hi[n] = -lo[n]
        }
        return result
    }

    /// Forms k of `a` and `b` added, for every k.
    static func sum(_ a: LinearForms, _ b: LinearForms) -> LinearForms {
        var result = a
        for n in result.lo.indices {
            result.lo[n] = (a.lo[n] + b.lo[n]).nextDown
            result.hi[n] = (a.hi[n] + b.hi[n]).nextUp
        }
        return result
    }

    /// A sound lower bound of form k (read as a lower form) over the box.
    public func minimum(_ k: Int, over box: [Interval]) -> Double {
        let base = k * stride
        var total = lo[base + inputs]
        for i in 0..<inputs {
            let x = box[i], a = lo[base + i], b = hi[base + i]
            let p = Swift.min(Swift.min(a * x.lower, a * x.upper), Swift.min(b * x.lower, b * x.upper))
            total = (total + p.nextDown).nextDown
        }
        return total.isNaN ? -.infinity : total
    }

    /// A sound upper bound of form k (read as an upper form) over the box.
    public func maximum(_ k: Int, over box: [Interval]) -> Double {
        let base = k * stride
        var total = hi[base + inputs]
        for i in 0..<inputs {
            let x = box[i], a = lo[base + i], b = hi[base + i]
            let p = Swift.max(Swift.max(a * x.lower, a * x.upper), Swift.max(b * x.lower, b * x.upper))
            total = (total + p.nextUp).nextUp
        }
        return total.isNaN ? .infinity : total
    }

    /// The vertex of the box where form k's midpoint coefficients are largest
    /// (`maximizing: true`) or smallest: where the bound is attained, and so a
    /// good place to look for a witness.
    public func extremeVertex(_ k: Int, over box: [Interval], maximizing: Bool) -> [Double] {
        (0..<inputs).map { i in
            let c = lo[k * stride + i] / 2 + hi[k * stride + i] / 2
            return (c > 0) == maximizing ? box[i].upper : box[i].lower
        }
    }
}

/// Lower and upper forms of the same quantities.
public struct FormPair: Sendable {
    public var lower: LinearForms
    public var upper: LinearForms

    public init(lower: LinearForms, upper: LinearForms) {
        self.lower = lower
        self.upper = upper
    }

    init(zeros count: Int, inputs: Int) {
        lower = LinearForms(zeros: count, inputs: inputs)
        upper = lower
    }

    public var count: Int { lower.count }

    /// Sound bounds of quantity k over the box.
    public func concrete(_ k: Int, over box: [Interval]) -> Interval {
        Interval(lower.minimum(k, over: box), upper.maximum(k, over: box))
    }

    /// `W·self + b` with the coefficient signs choosing lower or upper forms,
    /// for W's rows sorted by sign (``SignedRows``).
    func affine(rows: SignedRows, biases: [Double]) -> FormPair {
        var result = FormPair(zeros: rows.count, inputs: lower.inputs)
        for k in 0..<rows.count {
            result.lower.addConstant(k, biases[k], biases[k])
            result.upper.addConstant(k, biases[k], biases[k])
        }
        accumulate(into: &result, rows)
        return result
    }

    /// `result[k] += Σ_j W_kj · self[j]` for every row k of W, sound for the real-valued sums.
    ///
    /// Directed rounding of every product and partial sum would cost two
    /// `nextUp`/`nextDown` calls per term, and this loop is where a global
    /// search spends most of its time. Instead each of the four coefficient
    /// banks is summed in round-to-nearest and widened once at the end by a
    /// rigorous bound on the rounding error of a recursive sum of m products
    /// (Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1):
    /// `|fl(Σ a_j b_j) − Σ a_j b_j| ≤ γ_m · Σ |a_j b_j|`, `γ_m = m·u/(1 − m·u) ≤ (m+1)·u`
    /// with `u = 2^-53`, plus `2^-1074` per product for underflow. The
    /// magnitude sum is itself computed in floating point, so it is scaled by
    /// one more `(1 + γ_m)`; both factors fit in `(m + 3)·u` for every m the
    /// networks here can have. Overflow anywhere gives an infinite (useless
    /// but sound) coefficient.
    ///
    /// The magnitudes `|b_j|` of a source form's coefficients are replaced by
    /// their largest one, `M_j ≥ |b_j|`, so one magnitude sum `Σ|W_kj|·M_j` per
    /// row serves every coefficient of the row (the value already in `result`
    /// still counts per coefficient). The bound is then at most a few ulps of
    /// the form's largest coefficient looser, and each coefficient's sums are
    /// four instead of six: on ACAS Xu this loop is a third of a box's time.
    /// - Parameter wideFrom: the width from which the wide loop is used (tests compare the two).
    func accumulate(into result: inout FormPair, _ rows: SignedRows, wideFrom: Int = wideForms) {
        let width = lower.stride
        let (lowerMagnitudes, upperMagnitudes) = (lower.largestMagnitudes, upper.largestMagnitudes)
        rows.columns.withUnsafeBufferPointer { column in
        rows.values.withUnsafeBufferPointer { weight in
        lowerMagnitudes.withUnsafeBufferPointer { lMag in
        upperMagnitudes.withUnsafeBufferPointer { uMag in
        lower.lo.withUnsafeBufferPointer { lLo in
        lower.hi.withUnsafeBufferPointer { lHi in
        upper.lo.withUnsafeBufferPointer { uLo in
        upper.hi.withUnsafeBufferPointer { uHi in
        result.lower.lo.withUnsafeMutableBufferPointer { rLowLo in
        result.lower.hi.withUnsafeMutableBufferPointer { rLowHi in
        result.upper.lo.withUnsafeMutableBufferPointer { rUpLo in
        result.upper.hi.withUnsafeMutableBufferPointer { rUpHi in
            for k in 0..<rows.count {
                let (start, split, end) = (rows.start[k], rows.split[k], rows.start[k + 1])
                let terms = 1 + end - start  // the value already in `result`, then the products
                let gamma = Double(terms + 3) * 0x1p-53, underflow = Double(terms + 1) * 0x1p-1074
                let target = k * width
                // Σ|W_kj|·M_j for the lower and the upper results: w > 0 reads lower
                // forms into lower results, w < 0 upper forms.
                var lowProducts = 0.0, upProducts = 0.0
                for n in start..<split {
                    lowProducts += weight[n] * lMag[column[n]]
                    upProducts += weight[n] * uMag[column[n]]
                }
                for n in split..<end {
                    lowProducts -= weight[n] * uMag[column[n]]
                    upProducts -= weight[n] * lMag[column[n]]
                }
                if width >= wideFrom {
                    Self.accumulateWide(width: width, target: target, (start, split, end), column: column, weight: weight,
                                        sources: (lLo, lHi, uLo, uHi), results: (rLowLo, rLowHi, rUpLo, rUpHi),
                                        products: (lowProducts, upProducts), gamma: gamma, underflow: underflow)
                    continue
                }
                for i in 0..<width {
                    // One coefficient at a time, its four sums in registers.
                    let (a, b) = (rLowLo[target + i], rLowHi[target + i])
                    let (c, d) = (rUpLo[target + i], rUpHi[target + i])
                    var lowLo = a, lowHi = b, upLo = c, upHi = d
                    // w > 0: w·[p, q] = [w·p, w·q], lower forms from lower forms.
                    for n in start..<split {
                        let wj = weight[n], at = column[n] &* width &+ i
                        lowLo += wj * lLo[at]; lowHi += wj * lHi[at]; upLo += wj * uLo[at]; upHi += wj * uHi[at]
                    }
                    // w < 0: w·[p, q] = [w·q, w·p], and lower forms come from upper forms.
                    for n in split..<end {
                        let wj = weight[n], at = column[n] &* width &+ i
                        lowLo += wj * uHi[at]; lowHi += wj * uLo[at]; upLo += wj * lHi[at]; upHi += wj * lLo[at]
                    }
                    let lowError = (gamma * (Swift.max(abs(a), abs(b)) + lowProducts) + underflow).nextUp
                    let upError = (gamma * (Swift.max(abs(c), abs(d)) + upProducts) + underflow).nextUp
                    rLowLo[target + i] = Self.widened(lowLo, -lowError)
                    rLowHi[target + i] = Self.widened(lowHi, lowError)
                    rUpLo[target + i] = Self.widened(upLo, -upError)
                    rUpHi[target + i] = Self.widened(upHi, upError)
                }
            }
        }}}}}}}}}}}}
    }

    /// Forms at least this wide (inputs + 1) are summed a weight at a time
    /// over all their coefficients, which reads memory in order; narrower ones
    /// a coefficient at a time with the sums in registers (ACAS Xu: 6 wide).
    static let wideForms = 32

    /// One row of ``accumulate(into:_:)`` for wide forms: the same sums in
    /// the same order per coefficient (the value in `result`, the positive
    /// weights, the negative ones), kept in four scratch vectors.
    /// - Parameter products: the row's `Σ|W_kj|·M_j` for the lower and the upper results.
    private static func accumulateWide(
        width: Int, target: Int, _ range: (start: Int, split: Int, end: Int),
        column: UnsafeBufferPointer<Int>, weight: UnsafeBufferPointer<Double>,
        sources: (UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>),
        results: (UnsafeMutableBufferPointer<Double>, UnsafeMutableBufferPointer<Double>,
                  UnsafeMutableBufferPointer<Double>, UnsafeMutableBufferPointer<Double>),
        products: (low: Double, up: Double), gamma: Double, underflow: Double
    ) {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 4 * width) { scratch in
            let lowLo = scratch.baseAddress!, lowHi = lowLo + width, upLo = lowHi + width, upHi = upLo + width
            for i in 0..<width {
                lowLo[i] = results.0[target + i]; lowHi[i] = results.1[target + i]
                upLo[i] = results.2[target + i]; upHi[i] = results.3[target + i]
            }
            let (lLo, lHi, uLo, uHi) = (sources.0.baseAddress!, sources.1.baseAddress!, sources.2.baseAddress!, sources.3.baseAddress!)
            // w > 0: lower forms from lower forms.
            for n in range.start..<range.split {
                let wj = weight[n], at = column[n] &* width
                let (p, q, r, t) = (lLo + at, lHi + at, uLo + at, uHi + at)
                for i in 0..<width {
                    lowLo[i] += wj * p[i]; lowHi[i] += wj * q[i]; upLo[i] += wj * r[i]; upHi[i] += wj * t[i]
                }
            }
            // w < 0: lower forms from upper forms.
            for n in range.split..<range.end {
                let wj = weight[n], at = column[n] &* width
                let (p, q, r, t) = (lLo + at, lHi + at, uLo + at, uHi + at)
                for i in 0..<width {
                    lowLo[i] += wj * t[i]; lowHi[i] += wj * r[i]; upLo[i] += wj * q[i]; upHi[i] += wj * p[i]
                }
            }
            for i in 0..<width {
                let (a, b) = (results.0[target + i], results.1[target + i])
                let (c, d) = (results.2[target + i], results.3[target + i])
                let lowError = (gamma * (Swift.max(abs(a), abs(b)) + products.low) + underflow).nextUp
                let upError = (gamma * (Swift.max(abs(c), abs(d)) + products.up) + underflow).nextUp
                results.0[target + i] = widened(lowLo[i], -lowError)
                results.1[target + i] = widened(lowHi[i], lowError)
                results.2[target + i] = widened(upLo[i], -upError)
                results.3[target + i] = widened(upHi[i], upError)
            }
        }
    }

    /// `value + error`, rounded away from `value` (down for a negative error,
    /// up for a positive one); NaN (from ∞ − ∞) becomes the infinity on that side.
    private static func widened(_ value: Double, _ error: Double) -> Double {
        let sum = value + error
        if sum.isNaN || error.isNaN { return error < 0 ? -.infinity : .infinity }
        return error < 0 ? sum.nextDown : sum.nextUp
    }

    static func sum(_ a: FormPair, _ b: FormPair) -> FormPair {
        FormPair(lower: .sum(a.lower, b.lower), upper: .sum(a.upper, b.upper))
    }
}

/// A weight matrix with each row's nonzero entries sorted by sign once, and
/// stored flat: the bound propagation multiplies the same rows for every box,
/// and splitting them by sign there cost a sixth of its time (mispredicted branches).
public struct SignedRows: Sendable {
    /// The column of each nonzero weight, row after row: a row's positive
    /// weights by ascending column, then its negative ones by descending column.
    let columns: [Int]
    /// The weights, in the order of `columns`.
    let values: [Double]
    /// Row k's weights are `start[k]..<start[k + 1]`, its positive ones `start[k]..<split[k]`.
    let start: [Int]
    let split: [Int]

    public init(_ weights: [[Double]]) {
        var columns: [Int] = [], start = [0], split: [Int] = []
        for w in weights {
            columns += w.indices.filter { w[$0] > 0 }
            split.append(columns.count)
            columns += w.indices.filter { w[$0] < 0 }.reversed()
            start.append(columns.count)
        }
        var values: [Double] = []
        values.reserveCapacity(columns.count)
        for k in weights.indices {
            for n in start[k]..<start[k + 1] { values.append(weights[k][columns[n]]) }
        }
        self.columns = columns
        self.values = values
        self.start = start
        self.split = split
    }

    var count: Int { split.count }
}
