/// One linear function of the input, `c·x + c₀`, per neuron of a layer, with
/// a radius per form so that floating-point rounding stays sound.
///
/// Form k stands for every form whose coefficients (constant included) lie
/// within `radius[k]` of the stored point coefficients: over a box its values
/// lie within `radius[k]·(1 + Σ_i |x_i|)` of `c·x + c₀`. A bank is used either
/// as *lower* forms (the neuron's value is at least the smallest value any
/// such form gives at x) or as *upper* forms (at most the largest); which one
/// is the caller's to know. Every operation grows the radius by a bound on its
/// own rounding, so both readings survive floating point.
///
/// One radius per form instead of an interval per coefficient: the rounding
/// of a whole row of sums is bounded at once, and the sums that carry the
/// forms through a layer are two per coefficient instead of four.
///
/// Storage is flat: neuron k's coefficient i is at `k·stride + i`, with the
/// constant at `i = inputs`.
public struct LinearForms: Sendable {
    /// Number of input variables n.
    public let inputs: Int
    /// Number of forms (neurons).
    public private(set) var count: Int
    /// The point coefficients.
    var c: [Double]
    /// Every coefficient of form k is within `radius[k]` of its point (≥ 0, or +∞).
    var radius: [Double]

    var stride: Int { inputs + 1 }

    private static let u = 0x1p-53

    /// `count` zero forms over `inputs` variables.
    public init(zeros count: Int, inputs: Int) {
        self.inputs = inputs
        self.count = count
        c = Array(repeating: 0, count: count * (inputs + 1))
        radius = Array(repeating: 0, count: count)
    }

    /// The identity: form i is `x_i`.
    public static func identity(inputs: Int) -> LinearForms {
        var forms = LinearForms(zeros: inputs, inputs: inputs)
        for i in 0..<inputs { forms.c[i * forms.stride + i] = 1 }
        return forms
    }

    /// Form k's coefficient i (i = `inputs` is the constant), as the interval of its values.
    public func coefficient(_ k: Int, _ i: Int) -> Interval {
        let point = c[k * stride + i], r = radius[k]
        if !point.isFinite || !r.isFinite { return Interval(-.infinity, .infinity) }  // overflowed
        if r == 0 { return Interval(point, point) }
        return Interval((point - r).nextDown, (point + r).nextUp)
    }

    /// `M_k = max_i |c_ki|` for every form k: a bound on the magnitude of each
    /// of its point coefficients (``FormPair/accumulate(into:_:wideFrom:)``).
    var largestMagnitudes: [Double] {
        (0..<count).map { k in
            var m = 0.0
            for i in k * stride..<(k + 1) * stride { m = Swift.max(m, abs(c[i])) }
            return m
        }
    }

    /// Sets form k to zero.
    mutating func clear(_ k: Int) {
        for i in 0..<stride { c[k * stride + i] = 0 }
        radius[k] = 0
    }

    /// Adds `[a, b]` to form k's constant.
    mutating func addConstant(_ k: Int, _ a: Double, _ b: Double) {
        let at = k * stride + inputs
        let middle = a == b ? a : a / 2 + b / 2
        let reach = a == b ? 0 : Swift.max((b - middle).nextUp, (middle - a).nextUp)
        // TwoSum: the exact rounding error of the constant's sum.
        let old = c[at], sum = old + middle
        let bp = sum - old, error = (old - (sum - bp)) + (middle - bp)
        c[at] = sum
        if !sum.isFinite || !error.isFinite {
            radius[k] = .infinity
        } else if reach != 0 || error != 0 {
            radius[k] = ((radius[k] + reach).nextUp + Swift.abs(error)).nextUp
        }
    }

    /// Form k replaced by `w · (form k + shift)` for `w ≥ 0`. Each product is
    /// off by at most `u·|product| + 2^-1074`, which the radius takes in.
    mutating func shiftAndScale(_ k: Int, shift: Double, by w: Double) {
        addConstant(k, shift, shift)
        let base = k * stride
        var largest = 0.0
        for i in 0..<stride {
            c[base + i] = w * c[base + i]
            largest = Swift.max(largest, Swift.abs(c[base + i]))
        }
        let r = ((w * radius[k]).nextUp + ((2 * Self.u * largest).nextUp + 0x1p-1074).nextUp).nextUp
        radius[k] = r.isNaN ? .infinity : r
    }

    /// Copies `source[j]`, negated when asked, into form k.
    mutating func copy(_ k: Int, from source: LinearForms, _ j: Int, negated: Bool = false) {
        let target = k * stride, from = j * stride
        for i in 0..<stride {
            c[target + i] = negated ? -source.c[from + i] : source.c[from + i]
        }
        radius[k] = source.radius[j]
    }

    /// Every form negated (`−c·x − c₀`, same radius): a lower form of `−y`
    /// from an upper form of y, and the other way round.
    var negated: LinearForms {
        var result = self
        for n in c.indices { result.c[n] = -c[n] }
        return result
    }

    /// Forms k of `a` and `b` added, for every k: each sum is off by at most
    /// `u·|sum|` (exact below the normal range), which the radius takes in.
    static func sum(_ a: LinearForms, _ b: LinearForms) -> LinearForms {
        var result = a
        let width = a.stride
        for k in 0..<a.count {
            var largest = 0.0
            for n in k * width..<(k + 1) * width {
                result.c[n] = a.c[n] + b.c[n]
                largest = Swift.max(largest, Swift.abs(result.c[n]))
            }
            let r = ((a.radius[k] + b.radius[k]).nextUp + (Self.u * largest).nextUp).nextUp
            result.radius[k] = r.isNaN ? .infinity : r
        }
        return result
    }

    /// `radius[k]·(1 + Σ_i max |x_i|)`, rounded up: how far form k's values can
    /// be from its point form's anywhere in the box.
    private func reach(_ k: Int, over box: [Interval]) -> Double {
        let r = radius[k]
        if r == 0 { return 0 }
        // n + 1 non-negative terms summed in round-to-nearest: the exact sum is at
        // most the computed one times (1 + (n + 1)·u) (Higham §3.1); the factor
        // below is larger even after its own rounding.
        var size = 1.0
        for x in box { size += x.magnitude }
        return ((r * size).nextUp * (1 + Double(box.count + 8) * Self.u)).nextUp
    }

    /// A sound lower bound of form k (read as a lower form) over the box.
    public func minimum(_ k: Int, over box: [Interval]) -> Double {
        let base = k * stride
        var total = c[base + inputs]
        for i in 0..<inputs {
            let x = box[i], a = c[base + i]
            total = (total + Swift.min(a * x.lower, a * x.upper).nextDown).nextDown
        }
        total = (total - reach(k, over: box)).nextDown
        return total.isNaN ? -.infinity : total
    }

    /// A sound upper bound of form k (read as an upper form) over the box.
    public func maximum(_ k: Int, over box: [Interval]) -> Double {
        let base = k * stride
        var total = c[base + inputs]
        for i in 0..<inputs {
            let x = box[i], a = c[base + i]
            total = (total + Swift.max(a * x.lower, a * x.upper).nextUp).nextUp
        }
        total = (total + reach(k, over: box)).nextUp
        return total.isNaN ? .infinity : total
    }

    /// The vertex of the box where form k's point coefficients are largest
    /// (`maximizing: true`) or smallest: where the bound is attained, and so a
    /// good place to look for a witness.
    public func extremeVertex(_ k: Int, over box: [Interval], maximizing: Bool) -> [Double] {
        (0..<inputs).map { i in
            (c[k * stride + i] > 0) == maximizing ? box[i].upper : box[i].lower
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
    /// A lower result takes `w·lower_j` for `w > 0` and `w·upper_j` for `w < 0`
    /// (an upper result the other way round). The point coefficients are summed
    /// in round-to-nearest, and the row's radius grows by
    /// - `Σ_j |W_kj|·radius_j`: the sources' own radii, and
    /// - a rigorous bound on the rounding error of a recursive sum of m products
    ///   (Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1):
    ///   `|fl(Σ a_j b_j) − Σ a_j b_j| ≤ γ_m · Σ |a_j b_j|`, `γ_m = m·u/(1 − m·u) ≤ (m+1)·u`
    ///   with `u = 2^-53`, plus `2^-1074` per product for underflow. The
    ///   magnitudes `|b_j|` are replaced by the source form's largest point
    ///   coefficient `M_j`, and the value already in `result` by its largest, so
    ///   one magnitude sum `Σ|W_kj|·M_j` per row bounds every coefficient's error.
    ///
    /// The magnitude and radius sums are themselves computed in floating point
    /// (non-negative terms), so each is scaled by one more `1 + γ` with
    /// `γ = (m + 3)·u`, which is at least `γ_m` for every m the networks here
    /// can have and also serves as the error factor above.
    /// Overflow anywhere gives an infinite (useless but sound) radius.
    /// - Parameter wideFrom: the width from which the wide loop is used (tests compare the two).
    func accumulate(into result: inout FormPair, _ rows: SignedRows, wideFrom: Int = wideForms) {
        let width = lower.stride
        let (lowerMagnitudes, upperMagnitudes) = (lower.largestMagnitudes, upper.largestMagnitudes)
        rows.columns.withUnsafeBufferPointer { column in
        rows.values.withUnsafeBufferPointer { weight in
        lowerMagnitudes.withUnsafeBufferPointer { lMag in
        upperMagnitudes.withUnsafeBufferPointer { uMag in
        lower.radius.withUnsafeBufferPointer { lRad in
        upper.radius.withUnsafeBufferPointer { uRad in
        lower.c.withUnsafeBufferPointer { lC in
        upper.c.withUnsafeBufferPointer { uC in
        result.lower.c.withUnsafeMutableBufferPointer { rLow in
        result.upper.c.withUnsafeMutableBufferPointer { rUp in
        result.lower.radius.withUnsafeMutableBufferPointer { rLowRadius in
        result.upper.radius.withUnsafeMutableBufferPointer { rUpRadius in
            for k in 0..<rows.count {
                let (start, split, end) = (rows.start[k], rows.split[k], rows.start[k + 1])
                let terms = 1 + end - start  // the value already in `result`, then the products
                let gamma = Double(terms + 3) * 0x1p-53, underflow = Double(terms + 1) * 0x1p-1074
                let target = k * width
                // Σ|W_kj|·M_j and Σ|W_kj|·radius_j for the lower and the upper results:
                // w > 0 reads lower forms into lower results, w < 0 upper forms.
                var lowProducts = 0.0, upProducts = 0.0, lowRadius = 0.0, upRadius = 0.0
                for n in start..<split {
                    let (w, j) = (weight[n], column[n])
                    lowProducts += w * lMag[j]; upProducts += w * uMag[j]
                    lowRadius += w * lRad[j]; upRadius += w * uRad[j]
                }
                for n in split..<end {
                    let (w, j) = (weight[n], column[n])
                    lowProducts -= w * uMag[j]; upProducts -= w * lMag[j]
                    lowRadius -= w * uRad[j]; upRadius -= w * lRad[j]
                }
                var lowExisting = 0.0, upExisting = 0.0
                for i in 0..<width {
                    lowExisting = Swift.max(lowExisting, abs(rLow[target + i]))
                    upExisting = Swift.max(upExisting, abs(rUp[target + i]))
                }
                if width >= wideFrom {
                    Self.accumulateWide(width: width, target: target, (start, split, end), column: column, weight: weight,
                                        sources: (lC, uC), results: (rLow, rUp))
                } else {
                    for i in 0..<width {
                        // One coefficient at a time, its two sums in registers.
                        var low = rLow[target + i], up = rUp[target + i]
                        for n in start..<split {
                            let wj = weight[n], at = column[n] &* width &+ i
                            low += wj * lC[at]; up += wj * uC[at]
                        }
                        for n in split..<end {
                            let wj = weight[n], at = column[n] &* width &+ i
                            low += wj * uC[at]; up += wj * lC[at]
                        }
                        rLow[target + i] = low
                        rUp[target + i] = up
                    }
                }
                let scale = 1 + gamma
                rLowRadius[k] = Self.grown(rLowRadius[k], sources: lowRadius * scale,
                                           rounding: gamma * (lowExisting + lowProducts * scale) + underflow)
                rUpRadius[k] = Self.grown(rUpRadius[k], sources: upRadius * scale,
                                          rounding: gamma * (upExisting + upProducts * scale) + underflow)
            }
        }}}}}}}}}}}}
    }

    /// Forms at least this wide (inputs + 1) are summed a weight at a time
    /// over all their coefficients, which reads memory in order; narrower ones
    /// a coefficient at a time with the sums in registers (ACAS Xu: 6 wide).
    static let wideForms = 32

    /// One row of ``accumulate(into:_:)`` for wide forms: the same sums in
    /// the same order per coefficient (the value in `result`, the positive
    /// weights, the negative ones), summed in place.
    private static func accumulateWide(
        width: Int, target: Int, _ range: (start: Int, split: Int, end: Int),
        column: UnsafeBufferPointer<Int>, weight: UnsafeBufferPointer<Double>,
        sources: (UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>),
        results: (UnsafeMutableBufferPointer<Double>, UnsafeMutableBufferPointer<Double>)
    ) {
        let low = results.0.baseAddress! + target, up = results.1.baseAddress! + target
        let (lC, uC) = (sources.0.baseAddress!, sources.1.baseAddress!)
        // w > 0: lower forms from lower forms.
        for n in range.start..<range.split {
            let wj = weight[n], at = column[n] &* width
            let (p, q) = (lC + at, uC + at)
            for i in 0..<width { low[i] += wj * p[i]; up[i] += wj * q[i] }
        }
        // w < 0: lower forms from upper forms.
        for n in range.split..<range.end {
            let wj = weight[n], at = column[n] &* width
            let (p, q) = (lC + at, uC + at)
            for i in 0..<width { low[i] += wj * q[i]; up[i] += wj * p[i] }
        }
    }

    /// A row's radius after a sum: the old one plus the sources' and the
    /// rounding's shares, rounded up; +∞ once anything overflowed.
    private static func grown(_ radius: Double, sources: Double, rounding: Double) -> Double {
        let r = ((radius + sources.nextUp).nextUp + rounding.nextUp).nextUp
        return r.isNaN ? .infinity : r
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
