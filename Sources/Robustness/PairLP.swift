import Bounds
import ExactArithmetic
import LPBounds
import NeuralNetwork

/// A pair over a box of normalised inputs as one linear program, for
/// ``ReluBranchAndBound``: the original f against a concrete g, or against
/// every network of a perturbation set. The inputs are variables within the
/// box, each neuron of either network a pre-activation variable within the
/// ranges ``DifferentialAnalysis`` proved, tied to the layer below: by its
/// weights for f and a concrete g (two rows, exact: weights and biases are
/// binary64 numbers), by the Lemma's two rows for a perturbation set
/// (`u'_k` between `(W_k ∓ Δ_k)·h' + b_k ∓ Δb_k` once `h' ≥ 0`; for an input
/// of either sign, `|x_j| = 2·relu(x_j) − x_j`, with that ReLU split like the others). Stable active ReLUs pass u on, stable inactive ones drop out,
/// unstable ones get the triangle relaxation. Where the two networks have the
/// same shape, the proved ranges of `u'_k − u_k` and of `z'_i − z_i` are rows
/// as well, so the LP keeps some of what the two networks share.
///
/// With every ReLU's phase fixed the program is exact, so the branch and
/// bound converges; its witnesses are LP points' inputs, clamped into the
/// exact box and replayed exactly on both networks.
final class PairLP: PhaseSplitLP {
    let unstable: [UnstableReLU]
    let solver: CertifiedLP
    /// The input variables, then each network's output variables.
    private let inputs: [Int]
    private let originalOutputs: [Int]
    private let compressedOutputs: [Int]
    /// The compressed side's pre-activation variables, layer by layer (for witnesses of a perturbation set).
    let compressedPre: [[Int]]

    /// Whether the LP encodes these networks: ReLU hidden layers and a linear output layer.
    static func models(_ networks: [Network]) -> Bool {
        networks.allSatisfy { n in
            n.layers.last?.activation == .identity && n.layers.dropLast().allSatisfy { $0.activation == .relu }
        }
    }

    /// Nil unless both networks are ReLU MLPs with a linear output layer (``models(_:)``).
    init?(original f: Network, compared: ComparedParameters, box: [Interval], bounds: PairBounds) throws {
        let networks: [Network]
        var radii: PerturbationRadii?
        switch compared {
        case .concrete(let g): networks = [f, g]
        case .perturbation(let r): (networks, radii) = ([f, f], r)
        case .quantized: return nil  // the LP does not model the rounding
        }
        guard Self.models(networks) else { return nil }
        var lp = LinearProgram()
        let inputs = try box.map { try lp.addVariable(lower: $0.lower, upper: $0.upper) }
        var unstable: [UnstableReLU] = []
        var inputReLUs: [Int: Int] = [:]  // input j of either sign → relu(x_j), for |x_j| (perturbation sets)
        var pre: [[[Int]]] = [], post: [[[Int?]]] = []  // [network][layer][neuron]
        var isUnstable: [[[Bool]]] = []
        var outputs: [[Int]] = []
        if radii != nil {
            // |x_j| for inputs of either sign, for the Lemma's rows of the first layer.
            for (j, side) in box.enumerated() where side.lower < 0 && side.upper > 0 {
                let relu = try lp.addTriangleReLU(layer: -1, neuron: j, pre: inputs[j], lower: side.lower, upper: side.upper)
                unstable.append(relu)
                inputReLUs[j] = relu.post
            }
        }
        for (which, network) in networks.enumerated() {
            let ranges = which == 0 ? bounds.original : bounds.compressed
            var below: [Int?] = inputs
            var layersPre: [[Int]] = [], layersPost: [[Int?]] = [], layersUnstable: [[Bool]] = []
            for (l, layer) in network.layers.enumerated() {
                var layerPre: [Int] = [], layerPost: [Int?] = [], layerUnstable: [Bool] = []
                let isOutput = l == network.layers.count - 1
                for k in layer.weights.indices {
                    let range = ranges[l][k]
                    // Without finite ranges there is no LP; the box is left to splitting.
                    guard range.lower.isFinite, range.upper.isFinite, range.lower <= range.upper else { return nil }
                    let u = try lp.addVariable(lower: range.lower, upper: range.upper)
                    if which == 1, let radii {
                        try lp.addLemmaRows(pre: u, weights: layer.weights[k].map { Rational(exactly: $0)! },
                                            bias: Rational(exactly: layer.biases[k])!, radii: radii.weights[l][k],
                                            biasRadius: radii.biases[l][k], inputs: below) { j in
                            // Hidden inputs are ReLU outputs; the network's inputs have the box's sign.
                            guard l == 0 else { return .itself }
                            if box[j].lower >= 0 { return .itself }
                            if box[j].upper <= 0 { return .negated }
                            return .viaReLU(inputReLUs[j]!)  // made above for every input of either sign
                        }
                    } else {
                        var row: [(variable: Int, coefficient: Interval)] = [(u, Interval(1, 1))]
                        for (j, h) in below.enumerated() where layer.weights[k][j] != 0 {
                            guard let h else { continue }
                            row.append((h, Interval(-layer.weights[k][j], -layer.weights[k][j])))
                        }
                        try lp.addRow(row, .atMost, layer.biases[k])
                        try lp.addRow(row, .atLeast, layer.biases[k])
                    }
                    layerPre.append(u)
                    layerUnstable.append(!isOutput && range.lower < 0 && range.upper > 0)
                    if isOutput {
                        layerPost.append(u)
                    } else {
                        let relu = try lp.addReLU(layer: l, neuron: k, pre: u, range: range)
                        layerPost.append(relu.post)
                        if let neuron = relu.unstable { unstable.append(neuron) }
                    }
                }
                layersPre.append(layerPre)
                layersPost.append(layerPost)
                layersUnstable.append(layerUnstable)
                below = layerPost
            }
            pre.append(layersPre)
            post.append(layersPost)
            isUnstable.append(layersUnstable)
            outputs.append(layersPre.last ?? [])
        }
        // What differential propagation proved about u' − u (same shapes only),
        // and what it implies for the ReLUs' outputs.
        if let differences = bounds.preActivationDifference, f.hasSameLayers(as: networks[1]) {
            for (l, layer) in differences.enumerated() {
                for (k, range) in layer.enumerated() where range.lower.isFinite && range.upper.isFinite {
                    let delta: [(variable: Int, coefficient: Interval)] = [(pre[1][l][k], Interval(1, 1)), (pre[0][l][k], Interval(-1, -1))]
                    try lp.addRow(delta, .atMost, range.upper)
                    try lp.addRow(delta, .atLeast, range.lower)
                    if l < f.layers.count - 1, isUnstable[0][l][k] || isUnstable[1][l][k] {
                        try Self.addReluDifferenceRows(&lp, compressed: (pre[1][l][k], post[1][l][k]),
                                                       original: (pre[0][l][k], post[0][l][k]), delta: range)
                    }
                }
            }
        }
        self.inputs = inputs
        self.originalOutputs = outputs[0]
        self.compressedOutputs = outputs[1]
        self.compressedPre = pre[1]
        self.unstable = unstable
        self.solver = try CertifiedLP(lp)
    }

    /// Rows for `relu(u') − relu(u)` from `δ = u' − u ∈ [dl, du]`: relu is monotone
    /// and 1-Lipschitz, so the difference lies in `[min(0, δ), max(0, δ)]`;
    /// where δ can have either sign, the chords `max(0, δ) ≤ s·(δ − dl)`,
    /// `s ≥ du/(du − dl)`, and `min(0, δ) ≥ t·(δ − du)`, `t ≥ −dl/(du − dl)`,
    /// bound it (slopes rounded up keep both valid). This is what lets the LP
    /// see that two nearly equal networks move together, as differential
    /// propagation does, instead of relaxing each ReLU on its own.
    private static func addReluDifferenceRows(_ lp: inout LinearProgram, compressed: (pre: Int, post: Int?),
                                              original: (pre: Int, post: Int?), delta: Interval) throws {
        var difference: [(variable: Int, coefficient: Interval)] = []
        if let h = compressed.post { difference.append((h, Interval(1, 1))) }
        if let h = original.post { difference.append((h, Interval(-1, -1))) }
        func scaledDelta(_ slope: Double) -> [(variable: Int, coefficient: Interval)] {
            [(compressed.pre, Interval(-slope, -slope)), (original.pre, Interval(slope, slope))]
        }
        let (dl, du) = (delta.lower, delta.upper)
        if dl >= 0 {            // 0 ≤ y' − y ≤ δ
            try lp.addRow(difference, .atLeast, 0)
            try lp.addRow(difference + scaledDelta(1), .atMost, 0)
        } else if du <= 0 {     // δ ≤ y' − y ≤ 0
            try lp.addRow(difference, .atMost, 0)
            try lp.addRow(difference + scaledDelta(1), .atLeast, 0)
        } else {
            let s = (du / (du - dl)).nextUp.nextUp, t = (-dl / (du - dl)).nextUp.nextUp
            // y' − y − s·δ ≤ −s·dl and y' − y − t·δ ≥ −t·du, right-hand sides rounded outward.
            try lp.addRow(difference + scaledDelta(s), .atMost, (Interval(s, s) * Interval(-dl, -dl)).upper)
            try lp.addRow(difference + scaledDelta(t), .atLeast, (Interval(t, t) * Interval(-du, -du)).lower)
        }
    }

    /// Makes `sign·(z'_i − z_i)` the objective.
    func setObjective(output i: Int, sign: Double) throws {
        var objective = Array(repeating: 0.0, count: solver.variableCount)
        objective[compressedOutputs[i]] = sign
        objective[originalOutputs[i]] = -sign
        try solver.setObjective(objective)
    }

    /// The LP point's input.
    func input(at point: [Double]) -> [Double] {
        inputs.map { point[$0] }
    }
}
