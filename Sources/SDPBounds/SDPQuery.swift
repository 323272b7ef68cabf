import Bounds
import ExactArithmetic
import NeuralNetwork
import Queries

/// A question for the SDP bound: how large can `‖f₁(x₁) − f₂(x₂)‖²` be (and
/// each output's squared difference) for x₁ in a box of raw inputs and
/// `|x₂ − x₁| ≤ c` per input? The outputs are the networks' last-layer
/// values (logits: before any sigmoid or softmax).
public struct SDPQuery: Sendable {
    /// f₁, a ReLU network (identity hidden layers are allowed too).
    public var original: Network
    /// f₂, with the same inputs, input normalisation and outputs (any hidden sizes).
    public var compressed: Network
    /// x₁'s box in raw input units; the networks' input normalisation is applied.
    public var region: InputRegion
    /// c ≥ 0 in raw input units: the compressed network's input may differ by
    /// up to c per input (input quantisation). 0 means both see the same input.
    public var inputQuantization: Rational
    public var pairs: NeuronPairs
    /// One dense LMI block (the default), or a block per hidden layer.
    public var decomposition: LMIDecomposition
    /// How many boxes the input box may be split into: the box with the
    /// largest bound is halved along its widest input until there are this
    /// many, and the bound is the largest over them. 1 solves one SDP.
    public var boxes: Int
    /// Wall-clock limit in seconds for splitting and for each CSDP solve (its
    /// process is stopped); nil for none. A box whose SDP is estimated to need
    /// far more than the time left is not solved (``SDPCost``).
    public var timeLimit: Double?
    /// Bytes one box's SDP may take (``SDPCost/bytes``); a larger one is
    /// neither built nor solved. Nil for no limit.
    public var memoryLimit: Double?

    public init(original: Network, compressed: Network, region: InputRegion,
                inputQuantization: Rational = .zero, pairs: NeuronPairs = .auto,
                decomposition: LMIDecomposition = .none, boxes: Int = 16,
                timeLimit: Double? = nil, memoryLimit: Double? = nil) {
        self.original = original
        self.compressed = compressed
        self.region = region
        self.inputQuantization = inputQuantization
        self.pairs = pairs
        self.decomposition = decomposition
        self.boxes = boxes
        self.timeLimit = timeLimit
        self.memoryLimit = memoryLimit
    }

    /// Rejects questions without meaning before any bound is computed.
    public func validate() throws {
        guard compressed.inputSize == original.inputSize, compressed.outputSize == original.outputSize else {
            throw QueryError("the compressed network maps \(compressed.inputSize) inputs to \(compressed.outputSize) outputs, the original \(original.inputSize) to \(original.outputSize)")
        }
        guard InputNormalization.sameInputMapping(original.normalization, compressed.normalization) else {
            throw QueryError("the two networks normalise their inputs differently")
        }
        try region.validate(inputSize: original.inputSize)
        guard !inputQuantization.isNegative else {
            throw QueryError("the input quantisation must be ≥ 0, found \(inputQuantization.approximateDouble)")
        }
        let shift = normalizedShift
        if let i = shift.firstIndex(where: { !($0 <= MagnitudeLimit.largest) }) {
            throw QueryError("the input quantisation reaches \(shift[i]) on input \(i + 1) after normalisation; qrobust computes its bounds in binary64 and accepts magnitudes up to \(MagnitudeLimit.largest)")
        }
        let box = zip(region.normalized(by: original.normalization), shift).map { side, c in
            (lower: side.lower - Rational(exactly: c)!, upper: side.upper + Rational(exactly: c)!)
        }
        try MagnitudeLimit.check(original, over: box)
        try MagnitudeLimit.check(compressed, over: box, name: "the compressed network")
        if decomposition == .layers, pairs == .full {
            throw QueryError("full pairs join ReLUs of different layers, which layer blocks keep apart: use pairs within a layer (layer), diagonal or auto with the layer decomposition")
        }
        if decomposition == .layers, original.layers.count != compressed.layers.count {
            throw QueryError("layer blocks need both networks to have the same number of layers (\(original.layers.count) and \(compressed.layers.count) here): use one block (decomposition none)")
        }
        guard boxes >= 1 else { throw QueryError("the number of boxes must be at least 1, found \(boxes)") }
        if let timeLimit, !(timeLimit > 0) { throw QueryError("the time limit must be positive, found \(timeLimit)") }
        if let memoryLimit, !(memoryLimit > 0) { throw QueryError("the memory limit must be positive, found \(memoryLimit) bytes") }
    }

    /// ĉ per input: c in normalised units (`c/|range|`), rounded up.
    public var normalizedShift: [Double] {
        guard inputQuantization.isPositive else { return Array(repeating: 0, count: original.inputSize) }
        return (0..<original.inputSize).map { i in
            guard let range = original.normalization?.ranges[i] else { return inputQuantization.roundedUp }
            return (inputQuantization / Rational(exactly: Swift.abs(range))!).roundedUp
        }
    }
}
