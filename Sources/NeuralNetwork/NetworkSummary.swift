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

    public init(network: Network, model: String) {
        self.model = model
        inputs = network.inputSize
        outputs = network.outputSize
        output = network.output.rawValue
        layers = network.layers.map {
            Layer(inputs: $0.inputSize, neurons: $0.outputSize, activation: $0.activation.rawValue, parameters: $0.parameterCount)
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
        return lines.joined(separator: "\n")
    }
}
