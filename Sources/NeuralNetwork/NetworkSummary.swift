/// What `qrobust info` shows about a network.
public struct NetworkSummary: Encodable, Sendable {
    public struct Layer: Encodable, Sendable {
        public var inputs: Int
        public var neurons: Int
        public var activation: String
        public var parameters: Int
    }

    public var model: String
    public var inputs: Int
    public var outputs: Int
    public var output: String
    public var layers: [Layer]
    public var parameters: Int
    public var inputNormalization: String?
    /// The file format, and for ONNX the opset and the producer.
    public var format: String?
    /// How each ONNX node was read.
    public var folded: [String]
    /// ONNX nodes the output does not depend on.
    public var ignored: [String]
    /// The quantizers on the data path of a QDQ model, in the order the data meets them.
    public var activationQuantizers: [String]

    public init(network: Network, model: String, provenance: ModelProvenance? = nil,
                quantizers: [QuantizedNetwork.Position: Quantizer] = [:]) {
        activationQuantizers = quantizers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        self.model = model
        format = provenance?.format
        folded = provenance?.folded ?? []
        ignored = provenance?.ignored ?? []
        inputs = network.inputSize
        outputs = network.outputSize
        output = network.output.rawValue
        layers = network.layers.enumerated().map { l, layer in
            // A quantizer whose zero point is the bottom of its range clamps at 0: the ReLU a
            // quantiser removed from the graph.
            let clamps = [quantizers[.preActivation(l)], quantizers[.output(l)]].contains { $0.map { $0.zeroPoint == $0.lowest } == true }
            let activation = layer.activation == .identity && clamps ? "relu (quantizer clamp)" : layer.activation.rawValue
            return Layer(inputs: layer.inputSize, neurons: layer.outputSize, activation: activation, parameters: layer.parameterCount)
        }
        parameters = network.parameterCount
        inputNormalization = network.normalization.flatMap { n in
            n.isIdentity ? nil : "clamp to [min, max], then (x − mean) / range; means \(n.means), ranges \(n.ranges), minimums \(n.minimums), maximums \(n.maximums)"
        }
    }

    public var text: String {
        var lines = ["\(model): \(inputs) inputs → " + layers.map { "\($0.neurons) \($0.activation)" }.joined(separator: " → ") + " → \(output)"]
        for (i, layer) in layers.enumerated() {
            lines.append("  layer \(i): \(layer.inputs) → \(layer.neurons), \(layer.activation), \(layer.parameters) parameters")
        }
        lines.append("  parameters: \(parameters)")
        lines.append("  input normalisation: \(inputNormalization ?? "none")")
        if !activationQuantizers.isEmpty {
            lines.append("  activation quantisation (exact integer arithmetic; a zero point at the bottom of the range clamps like a ReLU):")
            lines += activationQuantizers.map { "    \($0)" }
        }
        if let format { lines.append("  format: \(format)") }
        if !folded.isEmpty {
            lines.append("  nodes read:")
            lines += folded.map { "    \($0)" }
        }
        if !ignored.isEmpty {
            lines.append("  nodes ignored (the output does not depend on them):")
            lines += ignored.map { "    \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}
