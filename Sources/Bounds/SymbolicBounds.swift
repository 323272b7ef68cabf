import NeuralNetwork

/// Symbolic bounds for one network over a box of normalised inputs: every
/// neuron's value lies between two linear functions of the input (forward
/// propagation with Neurify-style ReLU relaxations), and its pre-activation
/// within the interval those forms give over the box.
///
/// Binary64 with outward rounding throughout; see ``LinearForms``.
public struct SymbolicBounds: Sendable {
    /// Pre-activation ranges, layer by layer.
    public var preActivations: [[Interval]]
    /// The outputs as linear forms of the input.
    public var outputs: FormPair
    /// ReLUs whose sign the bounds do not fix.
    public var unstableCount: Int

    /// - Parameter rows: the network's weight rows sorted by sign, one per
    ///   layer, when the caller bounds many boxes and sorted them once.
    public init(network: Network, box: [Interval], rows: [SignedRows]? = nil) {
        let n = network.inputSize
        var h = FormPair(lower: .identity(inputs: n), upper: .identity(inputs: n))
        var ranges: [[Interval]] = []
        var unstable = 0
        for (l, layer) in network.layers.enumerated() {
            let p = h.affine(rows: rows?[l] ?? SignedRows(layer.weights), biases: layer.biases)
            let r = (0..<p.count).map { p.concrete($0, over: box) }
            ranges.append(r)
            switch layer.activation {
            case .identity:
                h = p
            case .relu:
                var next = FormPair(zeros: p.count, inputs: n)
                for k in 0..<p.count {
                    ReluRelaxation.apply(k, pre: p, range: r[k], box: box, into: &next)
                    if r[k].lower < 0 && r[k].upper > 0 { unstable += 1 }
                }
                h = next
            }
        }
        preActivations = ranges
        outputs = h
        unstableCount = unstable
    }

    /// Sound ranges of the outputs over the box.
    public func outputRanges(over box: [Interval]) -> [Interval] {
        (0..<outputs.count).map { outputs.concrete($0, over: box) }
    }
}
