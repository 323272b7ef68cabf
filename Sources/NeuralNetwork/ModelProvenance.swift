/// What reading a model file did besides producing the network: the format it
/// came in, and for ONNX the nodes that were folded into layers or the input
/// normalisation and the nodes that the output does not depend on.
public struct ModelProvenance: Sendable, Equatable, Encodable {
    /// For example `ONNX, opset 13, from pytorch 2.1` or `.nnet`.
    public var format: String
    /// One entry per node read, saying where it went (`node 2 (Relu) → layer 0, ReLU`).
    public var folded: [String]
    /// Nodes that were not read because the chosen output does not depend on them.
    public var ignored: [String]

    public init(format: String, folded: [String] = [], ignored: [String] = []) {
        self.format = format
        self.folded = folded
        self.ignored = ignored
    }
}

/// A network and what reading its file did.
public struct LoadedNetwork: Sendable {
    public var network: Network
    public var provenance: ModelProvenance
}
