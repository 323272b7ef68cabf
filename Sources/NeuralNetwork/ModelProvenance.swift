import Foundation

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
    /// The quantizers on the data path of a QDQ model (empty for a float network).
    public var quantizers: [QuantizedNetwork.Position: Quantizer] = [:]

    public init(network: Network, provenance: ModelProvenance, quantizers: [QuantizedNetwork.Position: Quantizer] = [:]) {
        self.network = network
        self.provenance = provenance
        self.quantizers = quantizers
    }

    /// The network, for analyses of real-valued networks; an error for a file
    /// that quantises its activations, whose function the network alone is not.
    /// - Throws: ``ModelError`` naming the file.
    public func realValued(file: String) throws -> Network {
        guard quantizers.isEmpty else {
            throw ModelError(file: file, place: "", problem: "quantises its activations (\(quantizers.count) QuantizeLinear–DequantizeLinear pairs on the data path), so it computes in integer arithmetic; compare it with its float model as `local FLOAT_MODEL --compressed \((file as NSString).lastPathComponent)` (or `global`), and see `qrobust info` for its quantizers")
        }
        return network
    }

    /// The network with its activation quantizers, if the file has any.
    public var quantized: QuantizedNetwork? {
        quantizers.isEmpty ? nil : QuantizedNetwork(network: network, quantizers: quantizers)
    }
}
