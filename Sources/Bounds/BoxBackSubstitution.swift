import NeuralNetwork

/// Back-substitution (CROWN-style) of one pre-activation at a time to an
/// input box, for one network or for every member of a perturbation set:
/// it tightens the ranges that forward propagation leaves straddling 0.
///
/// Forward forms (``SymbolicBounds``, ``DifferentialAnalysis``) relax every
/// unstable ReLU into an interval-valued form and pass that loss on to every
/// later layer; substituting a neuron's pre-activation backwards through the
/// relaxations instead picks each one by the sign of its own coefficient.
/// On ACAS Xu's float16 perturbation set, over a box 1/128 of property 1's
/// region on each side, the perturbed network keeps 11 unstable ReLUs this
/// way against 73 with forward forms alone.
///
/// For a perturbation set the Lemma (docs/semantics.md §2) gives, at a layer
/// with input h, `Σ c_k u'_k ≤ (Wᵀc)·h + (Δᵀ|c|)·|h| + c·b + |c|·Δb`; after a
/// ReLU `|h| = h`, an unstable ReLU is relaxed by its chord (non-negative
/// coefficient) or by `h ≥ v` or `h ≥ 0` (negative), and an identity neuron of
/// unknown sign has `|v|` below a line. With no radii it is plain CROWN.
///
/// Soundness: coefficients are binary64 numbers computed in round-to-nearest,
/// and every place where a computed coefficient differs from the exact one
/// adds a bound of the difference times the variable's largest magnitude
/// (from its proved range) to a non-negative slack. The constant and the
/// slack are summed in round-to-nearest, and each sum is then widened by a
/// rigorous bound of its own rounding error. Dot products use the a-priori bound
/// `|fl(Σ a_k b_k) − Σ a_k b_k| ≤ (m + 3)·u·Σ|a_k|·|b_k|` for m terms, with
/// `u = 2^-53` (Higham, §3.1, as in ``LinearForms``); a layer's bias sum has
/// two terms per neuron, and `(2m + 3)·u` serves every sum of the layer. In
/// the weight sums `Σ_k |c_k|·|W_kj|` is bounded by `‖c‖₁·max_k |W_kj|`. The
/// result is an upper bound of the exact value for the real-valued network
/// (or every member of the set).
struct BoxBackSubstitution: Sendable {
    /// One layer's parameters, flat for the row loops (shared with ``DifferentialBackSubstitution``).
    struct Layer: Sendable {
        let outputs: Int, inputs: Int
        /// Row-major `outputs × inputs`.
        let weights: [Double]
        let biases: [Double]
        /// `max_k |W_kj|` for every input j.
        let columnMagnitudes: [Double]
        /// The radii rounded up, row-major like the weights; nil without a set.
        let weightRadii: [Double]?
        let biasRadii: [Double]?
        let activation: Activation
    }

    private let layers: [Layer]
    /// The largest layer width (inputs or outputs), for scratch vectors.
    private let widest: Int
    static let u = 0x1p-53
    static let tiny = 0x1p-1074

    /// - Parameter radii: the perturbation set's radii, or nil for the network alone.
    init(network: Network, radii: PerturbationRadii?) {
        layers = Self.layers(of: network, radii: radii)
        widest = Self.widest(network)
    }

    /// The largest layer width (inputs or outputs) of a network, at least 1.
    static func widest(_ network: Network) -> Int {
        max(network.inputSize, network.layers.map(\.outputSize).max() ?? 0, 1)
    }

    /// A network's layers, flat, with the radii of a perturbation set if given.
    static func layers(of network: Network, radii: PerturbationRadii?) -> [Layer] {
        network.layers.enumerated().map { l, layer in
            let inputs = layer.inputSize
            var magnitudes = Array(repeating: 0.0, count: inputs)
            for row in layer.weights {
                for j in 0..<inputs { magnitudes[j] = Swift.max(magnitudes[j], Swift.abs(row[j])) }
            }
            return Layer(outputs: layer.outputSize, inputs: inputs, weights: Array(layer.weights.joined()),
                         biases: layer.biases, columnMagnitudes: magnitudes,
                         weightRadii: radii.map { Array($0.weightsUp[l].joined()) }, biasRadii: radii?.biasesUp[l],
                         activation: layer.activation)
        }
    }

    /// Intersects each range of layer `l` that contains 0 with its
    /// back-substituted bounds over `box`.
    /// - Parameter below: proved pre-activation ranges of layers `0..<l`.
    func tightenStraddling(_ ranges: inout [Interval], layer l: Int, box: [Interval], below: [[Interval]]) {
        var row = Array(repeating: 0.0, count: ranges.count)
        for k in ranges.indices where ranges[k].lower < 0 && ranges[k].upper > 0 {
            row[k] = 1
            let upper = maximum(of: row, layer: l, box: box, below: below)
            // A ReLU proved inactive needs no lower end: its output is 0 whatever it is.
            var lower = ranges[k].lower
            if upper > 0 {
                row[k] = -1
                lower = -maximum(of: row, layer: l, box: box, below: below)
            }
            row[k] = 0
            let tightened = ranges[k].intersecting(Interval(lower, upper))
            // Both are sound; an empty intersection can only come from rounding.
            if tightened.lower <= tightened.upper { ranges[k] = tightened }
        }
    }

    /// An upper bound of `Σ_k c_k u_k` over layer `target`'s pre-activations
    /// (+∞ when binary64 overflowed).
    func maximum(of coefficients: [Double], layer target: Int, box: [Interval], below: [[Interval]]) -> Double {
        // Four vectors of the widest layer's size, allocated once per call: this runs for
        // every straddling neuron of every box, and per-layer arrays cost more than the sums.
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 4 * widest) { scratch in
            let base = scratch.baseAddress!
            var c = base, next = base + widest, mu = base + 2 * widest, previous = base + 3 * widest
            for k in coefficients.indices { c[k] = coefficients[k] }
            let u = Self.u, tiny = Self.tiny
            // Main terms and non-negative slack, each summed in round-to-nearest (``BoundSum``).
            var sum = BoundSum()
            func add(_ value: Double) { sum.add(value) }
            for t in stride(from: target, through: 0, by: -1) {
                let layer = layers[t]
                let (m, n) = (layer.outputs, layer.inputs)
                next.update(repeating: 0, count: n)
                mu.update(repeating: 0, count: n)
                var bias = 0.0, biasMagnitude = 0.0, norm = 0.0
                layer.weights.withUnsafeBufferPointer { w in
                    for k in 0..<m where c[k] != 0 {
                        let ck = c[k], row = k * n
                        let p = ck * layer.biases[k], q = Swift.abs(ck) * (layer.biasRadii?[k] ?? 0)
                        bias += p + q
                        biasMagnitude += Swift.abs(p) + q
                        norm += Swift.abs(ck)
                        let wRow = w.baseAddress! + row
                        for j in 0..<n { next[j] += ck * wRow[j] }
                    }
                }
                if let radii = layer.weightRadii {
                    radii.withUnsafeBufferPointer { d in
                        for k in 0..<m where c[k] != 0 {
                            let ck = Swift.abs(c[k]), dRow = d.baseAddress! + k * n
                            for j in 0..<n { mu[j] += ck * dRow[j] }
                        }
                    }
                }
                let gamma = Double(2 * m + 3) * u
                add(bias)
                sum.slack += gamma * biasMagnitude + Double(2 * m + 1) * tiny
                sum.slackTerms += 1
                // |computed − exact| of next_j is at most scaledNorm·max_k|W_kj| + underflow,
                // and of mu_j (its terms are all ≥ 0) at most gamma·mu_j + underflow.
                let scaledNorm = gamma * norm, underflow = Double(m + 1) * tiny
                let columnMagnitudes = layer.columnMagnitudes
                // An overflow anywhere leaves no bound (a NaN coefficient could vanish inside max below).
                for j in 0..<n where !next[j].isFinite || !mu[j].isFinite { return Double.infinity }

                if t == 0 {
                    for j in 0..<n {
                        let x = box[j]
                        add(Swift.max(next[j] * x.lower, next[j] * x.upper))
                        sum.slack += (mu[j] + gamma * mu[j] + scaledNorm * columnMagnitudes[j] + 2 * underflow) * x.magnitude
                    }
                    sum.slackTerms += n
                    break
                }
                let ranges = below[t - 1]
                switch layers[t - 1].activation {
                case .relu:
                    for j in 0..<n {
                        previous[j] = 0
                        let (lo, hi) = (ranges[j].lower, ranges[j].upper)
                        if hi <= 0 { continue }                       // h_j = 0
                        let g = next[j] + mu[j]
                        // Σ g_exact·h ≤ Σ g·h + |g_exact − g|·max h, with 0 ≤ h ≤ hi.
                        sum.slack += (scaledNorm * columnMagnitudes[j] + gamma * mu[j] + 2 * underflow
                                      + 2 * u * Swift.abs(g) + tiny) * hi
                        if lo >= 0 {
                            previous[j] = g                           // always active
                        } else if g < 0 {
                            previous[j] = hi > -lo ? g : 0            // relu(v) ≥ v, or ≥ 0
                        } else {
                            // relu(v) ≤ s·(v − lo) for any s ≥ hi/(hi − lo); gs = fl(g·s) is off
                            // by at most u·|gs| + 2^-1074, on v and on the constant −lo.
                            let slope = (hi / (hi - lo).nextDown).nextUp
                            let gs = g * slope
                            previous[j] = gs
                            add(gs * -lo)
                            sum.slack += (2 * u * Swift.abs(gs) + 2 * tiny) * Swift.max(-lo, hi)
                            sum.slackTerms += 1
                        }
                    }
                    sum.slackTerms += n
                case .identity:
                    for j in 0..<n {
                        let (lo, hi) = (ranges[j].lower, ranges[j].upper)
                        let largest = Swift.max(Swift.abs(lo), Swift.abs(hi))
                        // ≥ the exact coefficient of |v| (rounded upward: it is not an error term).
                        let weight = (mu[j] + ((gamma * mu[j]).nextUp + underflow).nextUp).nextUp
                        var coefficient: Double, extra = 0.0
                        if lo >= 0 {
                            coefficient = next[j] + weight
                        } else if hi <= 0 {
                            coefficient = next[j] - weight
                        } else {
                            // |v| ≤ k·v + r on [lo, hi]: the line is above |v| at both ends (|v| is convex).
                            let k = (hi + lo) / (hi - lo)
                            let r = Swift.max((-lo - (k * lo).nextDown).nextUp, (hi - (k * hi).nextDown).nextUp)
                            add(weight * r)
                            let wk = weight * k
                            extra = Swift.abs(wk)
                            coefficient = next[j] + wk
                        }
                        previous[j] = coefficient
                        sum.slack += (scaledNorm * columnMagnitudes[j] + underflow
                                      + 2 * u * (Swift.abs(coefficient) + extra) + 2 * tiny) * largest
                    }
                    sum.slackTerms += n
                }
                swap(&c, &previous)
            }
            return sum.upperBound
        }
    }
}
