import Bounds
import Compression
import ExactArithmetic
import NeuralNetwork
import Z3Kit

/// An SMT encoding of "some network in Θ_Δ evaluated at a fixed input".
///
/// Both encodings give the same set of reachable outputs (docs/semantics.md §3 asks
/// tests to check that they agree); they differ in how a model turns back into
/// a parameter vector.
protocol PerturbationEncoding {
    /// The assertions (non-strict inequalities and disjunctions of them only,
    /// so that Z3's Optimize may use them).
    var constraints: [Term] { get }
    /// The perturbed network's logits as terms.
    var outputs: [Term] { get }
    /// A parameter vector inside Θ_Δ realising (up to algebraic rounding) the
    /// model, and the per-neuron pre-activation choices when the encoding has them.
    func witness(from model: Model) throws -> (parameters: [ExactLayer], neuronValues: [[Rational]]?)
}

/// A value in an encoding: a known constant or a term.
enum Node {
    case constant(Rational)
    case term(Term)

    func term(_ z3: Context) throws -> Term {
        switch self {
        case .constant(let c): try z3.real(c)
        case .term(let t): t
        }
    }

    /// The node's value in a model (exact: linear-arithmetic variables are rational).
    func value(in model: Model) throws -> Rational {
        switch self {
        case .constant(let c): c
        case .term(let t): try model.rational(t)
        }
    }
}

extension Context {
    /// `constant + Σ coefficient·node`, folding constant nodes and skipping zeros.
    func linear(_ pairs: [(Rational, Node)], constant: Rational) throws -> Node {
        var folded = constant
        var terms: [Term] = []
        for (coefficient, node) in pairs where !coefficient.isZero {
            switch node {
            case .constant(let c): folded += coefficient * c
            case .term(let t): terms.append(coefficient == .one ? t : try coefficient * t)
            }
        }
        if terms.isEmpty { return .constant(folded) }
        if !folded.isZero { terms.append(try real(folded)) }
        return .term(try sum(terms))
    }

    /// A fresh variable `y = max(0, u)`, in non-strict form:
    /// `y ≥ 0 ∧ y ≥ u ∧ (y ≤ 0 ∨ y ≤ u)`.
    func relu(_ u: Term, name: String, into constraints: inout [Term]) throws -> Term {
        let y = try realVariable(name)
        let zero = try real(0)
        constraints += [try y >= zero, try y >= u, try (y <= zero) || (y <= u)]
        return y
    }

    /// A fresh variable `a = |v|`: `a ≥ v ∧ a ≥ −v ∧ (a ≤ v ∨ a ≤ −v)`.
    func magnitude(_ v: Term, name: String, into constraints: inout [Term]) throws -> Term {
        let a = try realVariable(name)
        let minusV = try -v
        constraints += [try a >= v, try a >= minusV, try (a <= v) || (a <= minusV)]
        return a
    }
}

/// Applies an activation to a pre-activation node, using its bounds to encode
/// stable ReLUs linearly (always active: `y = u`; always inactive: `y = 0`).
func activate(_ u: Node, bounds: Interval, activation: Activation, name: String,
              z3: Context, constraints: inout [Term]) throws -> Node {
    guard activation == .relu else { return u }
    switch u {
    case .constant(let c): return .constant(c.isNegative ? .zero : c)
    case .term(let t):
        if bounds.lower >= 0 { return u }
        if bounds.upper <= 0 { return .constant(.zero) }
        return .term(try z3.relu(t, name: name, into: &constraints))
    }
}

/// Adds the sound box bounds of a neuron's pre-activation variable (redundant,
/// but they help the solver prune) and applies the activation.
func boundedNeuron(_ u: Term, box: Interval, activation: Activation, name: String,
                   z3: Context, constraints: inout [Term]) throws -> Node {
    constraints.append(try u >= z3.real(exactly: box.lower))
    constraints.append(try u <= z3.real(exactly: box.upper))
    return try activate(.term(u), bounds: box, activation: activation, name: name, z3: z3, constraints: &constraints)
}

/// The Lemma of docs/semantics.md §2 (QF_LRA): for a fixed layer input h', neuron k's
/// perturbed pre-activation ranges exactly over
/// `W_k·h' + b_k ± (Δ_k + Σ_j Δ_kj·|h'_j|)`, and neurons use disjoint
/// parameters, so one fresh variable per neuron replaces all its parameters.
struct LinearPerturbationEncoding: PerturbationEncoding {
    let constraints: [Term]
    let outputs: [Term]
    private let preActivations: [[Term]]
    private let layers: [ExactLayer]
    private let radii: PerturbationRadii
    private let input: [Node]

    /// At a fixed input.
    /// - Parameter layers: the original network's exact parameters (converted once by the caller).
    init(z3: Context, layers: [ExactLayer], radii: PerturbationRadii, input x: [Rational], bounds: [[Interval]]) throws {
        try self.init(z3: z3, layers: layers, radii: radii, input: x.map { .constant($0) },
                      inputMagnitudes: x.map { .constant($0.magnitude) }, bounds: bounds, constraints: [])
    }

    /// Over symbolic inputs (a box): `inputMagnitudes[j]` is a node equal to `|input[j]|`,
    /// `constraints` the ones that define the inputs and magnitudes.
    init(z3: Context, layers: [ExactLayer], radii: PerturbationRadii, input: [Node], inputMagnitudes: [Node],
         bounds: [[Interval]], constraints initial: [Term], prefix: String = "") throws {
        var constraints = initial
        var h = input
        var magnitudes = inputMagnitudes
        var preActivations: [[Term]] = []
        for (l, layer) in layers.enumerated() {
            var next: [Node] = [], nextMagnitudes: [Node] = [], layerTerms: [Term] = []
            for k in layer.weights.indices {
                let center = try z3.linear(Array(zip(layer.weights[k], h)), constant: layer.biases[k])
                let radius = try z3.linear(Array(zip(radii.weights[l][k], magnitudes)), constant: radii.biases[l][k])
                let u = try z3.realVariable("\(prefix)u_\(l)_\(k)")
                constraints.append(try u >= center.term(z3) - radius.term(z3))
                constraints.append(try u <= center.term(z3) + radius.term(z3))
                let box = bounds[l][k]
                layerTerms.append(u)
                let y = try boundedNeuron(u, box: box, activation: layer.activation, name: "\(prefix)y_\(l)_\(k)",
                                          z3: z3, constraints: &constraints)
                next.append(y)
                // |y| for the next layer's radius: ReLU outputs and sign-stable values need no split.
                switch y {
                case .constant(let c): nextMagnitudes.append(.constant(c.magnitude))
                case .term(let t):
                    if layer.activation == .relu || box.lower >= 0 {
                        nextMagnitudes.append(y)
                    } else if box.upper <= 0 {
                        nextMagnitudes.append(.term(try -t))
                    } else {
                        nextMagnitudes.append(.term(try z3.magnitude(t, name: "\(prefix)a_\(l)_\(k)", into: &constraints)))
                    }
                }
            }
            preActivations.append(layerTerms)
            h = next
            magnitudes = nextMagnitudes
        }
        self.constraints = constraints
        self.outputs = try h.map { try $0.term(z3) }
        self.preActivations = preActivations
        self.layers = layers
        self.radii = radii
        self.input = input
    }

    /// Reads each neuron's chosen pre-activation and realises it with explicit
    /// parameters: neuron k needs the offset `t = u'_k − (W_k·h + b_k)` with
    /// `|t| ≤ r = Δ_k + Σ Δ_kj|h_j|`; with `f = t/r`, the parameters
    /// `w'_kj = w_kj + f·Δ_kj·sign(h_j)` and `b'_k = b_k + f·Δ_k` give exactly
    /// that offset and stay within Δ. `h` is recomputed exactly along the way.
    func witness(from model: Model) throws -> (parameters: [ExactLayer], neuronValues: [[Rational]]?) {
        var h = try input.map { try $0.value(in: model) }
        var parameters: [ExactLayer] = []
        var chosen: [[Rational]] = []
        for (l, layer) in layers.enumerated() {
            var realised = layer
            var values: [Rational] = []
            let centers = layer.preActivations(h)
            for k in layer.weights.indices {
                let target = try model.rational(preActivations[l][k])
                let center = centers[k]
                var radius = radii.biases[l][k]
                for j in h.indices { radius += radii.weights[l][k][j] * h[j].magnitude }
                var offset = target - center
                // A consistent model never needs this clamp; it keeps the witness inside Θ_Δ regardless.
                if radius < offset { offset = radius }
                if offset < -radius { offset = -radius }
                if !radius.isZero && !offset.isZero {
                    let f = offset / radius
                    for j in h.indices where !h[j].isZero {
                        let step = f * radii.weights[l][k][j]
                        realised.weights[k][j] += h[j].isNegative ? -step : step
                    }
                    realised.biases[k] += f * radii.biases[l][k]
                }
                values.append(center + offset)
            }
            parameters.append(realised)
            chosen.append(values)
            h = realised.apply(h)
        }
        return (parameters, chosen)
    }
}

extension PerturbationSet {
    /// Throws unless the parameters lie in Θ_Δ around the network's: a
    /// witness outside it would prove nothing, so nothing is reported from it.
    func requireMember(_ parameters: [ExactLayer], around network: Network) throws {
        if let place = firstViolation(of: parameters, around: network) {
            throw InternalError("a witness parameter (\(place)) lies outside Θ_Δ; nothing is reported from it")
        }
    }
}

/// The direct encoding (QF_NRA): every perturbed parameter is a Z3 variable
/// within its radius; products with hidden values make it nonlinear. Only for
/// cross-checking the linear encoding on tiny networks.
struct NonlinearPerturbationEncoding: PerturbationEncoding {
    let constraints: [Term]
    let outputs: [Term]
    private let parameterTerms: [(weights: [[Node]], biases: [Node])]
    private let layers: [ExactLayer]
    private let radii: PerturbationRadii

    /// - Parameter layers: the original network's exact parameters (converted once by the caller).
    init(z3: Context, layers: [ExactLayer], radii: PerturbationRadii, input x: [Rational], bounds: [[Interval]]) throws {
        var constraints: [Term] = []
        var h: [Node] = x.map { .constant($0) }
        var parameterTerms: [(weights: [[Node]], biases: [Node])] = []
        func parameter(_ value: Rational, _ radius: Rational, _ name: String) throws -> Node {
            if radius.isZero { return .constant(value) }
            let v = try z3.realVariable(name)
            constraints.append(try v >= z3.real(value - radius))
            constraints.append(try v <= z3.real(value + radius))
            return .term(v)
        }
        for (l, layer) in layers.enumerated() {
            var weights: [[Node]] = [], biases: [Node] = [], next: [Node] = []
            for k in layer.weights.indices {
                let row = try layer.weights[k].indices.map { j in
                    try parameter(layer.weights[k][j], radii.weights[l][k][j], "w_\(l)_\(k)_\(j)")
                }
                let bias = try parameter(layer.biases[k], radii.biases[l][k], "b_\(l)_\(k)")
                weights.append(row)
                biases.append(bias)
                var products: [Term] = [try bias.term(z3)]
                for j in h.indices {
                    switch (row[j], h[j]) {
                    case (.constant(let a), .constant(let b)): products.append(try z3.real(a * b))
                    case (.constant(let a), .term(let t)), (.term(let t), .constant(let a)): products.append(try a * t)
                    case (.term(let a), .term(let b)): products.append(try a * b)
                    }
                }
                let u = try z3.realVariable("u_\(l)_\(k)")
                constraints.append(try u == z3.sum(products))
                next.append(try boundedNeuron(u, box: bounds[l][k], activation: layer.activation, name: "y_\(l)_\(k)",
                                              z3: z3, constraints: &constraints))
            }
            parameterTerms.append((weights, biases))
            h = next
        }
        self.constraints = constraints
        self.outputs = try h.map { try $0.term(z3) }
        self.parameterTerms = parameterTerms
        self.layers = layers
        self.radii = radii
    }

    /// Reads the parameters; an irrational algebraic value is replaced by the
    /// midpoint of its narrow enclosure, clamped into its allowed interval, so
    /// the witness is always a genuine point of Θ_Δ (its replay decides what it shows).
    func witness(from model: Model) throws -> (parameters: [ExactLayer], neuronValues: [[Rational]]?) {
        func value(_ node: Node, _ original: Rational, _ radius: Rational) throws -> Rational {
            guard case .term(let t) = node else { return original }
            let e = try model.enclosure(of: t)
            let mid = e.lower == e.upper ? e.lower : (e.lower + e.upper) * Rational(1, 2)
            return Rational.min(Rational.max(mid, original - radius), original + radius)
        }
        var parameters: [ExactLayer] = []
        for (l, layer) in layers.enumerated() {
            var realised = layer
            for k in layer.weights.indices {
                for j in layer.weights[k].indices {
                    realised.weights[k][j] = try value(parameterTerms[l].weights[k][j], layer.weights[k][j], radii.weights[l][k][j])
                }
                realised.biases[k] = try value(parameterTerms[l].biases[k], layer.biases[k], radii.biases[l][k])
            }
            parameters.append(realised)
        }
        return (parameters, nil)
    }
}
