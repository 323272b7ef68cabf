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

    /// `W·self + b` with the coefficient signs choosing lower or upper forms.
    func affine(weights: [[Double]], biases: [Double]) -> FormPair {
        var result = FormPair(zeros: weights.count, inputs: lower.inputs)
        for k in weights.indices {
            result.lower.addConstant(k, biases[k], biases[k])
            result.upper.addConstant(k, biases[k], biases[k])
            accumulate(into: &result, k, weights[k])
        }
        return result
    }

    /// `result[k] += Σ_j w_j · self[j]`.
    func accumulate(into result: inout FormPair, _ k: Int, _ w: [Double]) {
        for (j, wj) in w.enumerated() where wj != 0 {
            if wj > 0 {
                result.lower.add(k, wj, lower, j)
                result.upper.add(k, wj, upper, j)
            } else {
                result.lower.add(k, wj, upper, j)
                result.upper.add(k, wj, lower, j)
            }
        }
    }

    static func sum(_ a: FormPair, _ b: FormPair) -> FormPair {
        FormPair(lower: .sum(a.lower, b.lower), upper: .sum(a.upper, b.upper))
    }
}
