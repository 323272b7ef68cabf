import Foundation

/// qrobust's own JSON format for MLPs (documented in the README):
///
/// ```json
/// { "format": "qrobust-mlp", "version": 1, "inputSize": 2, "output": "sigmoid",
///   "layers": [ { "activation": "relu", "weights": [[0.5, -1.0]], "biases": [0.25] },
///               { "activation": "identity", "weights": [[2.0]], "biases": [0.0] } ],
///   "inputNormalization": { "minimums": [0, 0], "maximums": [1, 1],
///                           "means": [0, 0], "ranges": [1, 1] } }
/// ```
/// `weights[k]` is neuron k's row. Numbers are read as the nearest binary64
/// value (what a float64 export stores) and written in shortest round-trip form.
public enum JSONFormat {
    struct Document: Codable {
        var format: String?
        var version: Int?
        var inputSize: Int
        var output: OutputKind?
        var layers: [Layer]
        var inputNormalization: Normalization?
    }

    struct Layer: Codable {
        var activation: Activation
        var weights: [[Double]]
        var biases: [Double]
    }

    struct Normalization: Codable {
        var minimums: [Double]?
        var maximums: [Double]?
        var means: [Double]
        var ranges: [Double]
    }

    /// Parses JSON data. `file` only names the source in errors.
    public static func parse(_ data: Data, file: String? = nil) throws -> Network {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch let error as DecodingError {
            let described = describe(error)
            throw ModelError(file: file, place: described.place, problem: described.problem)
        }
        if let format = document.format, format != "qrobust-mlp" {
            throw ModelError(file: file, place: "format", problem: "expected \"qrobust-mlp\", found \"\(format)\"")
        }
        if let version = document.version, version != 1 {
            throw ModelError(file: file, place: "version", problem: "this qrobust reads version 1, found \(version)")
        }
        // Check the declared input size against the data before anything is
        // allocated for it: a file saying "inputSize": 1e9 must not cost 8 GB.
        guard document.inputSize >= 1 else {
            throw ModelError(file: file, place: "inputSize", problem: "must be at least 1, found \(document.inputSize)")
        }
        if let row = document.layers.first?.weights.first, row.count != document.inputSize {
            throw ModelError(file: file, place: "layers[0].weights[0]",
                             problem: "expected \(document.inputSize) weights (inputSize), found \(row.count)")
        }
        if let n = document.inputNormalization, n.means.count != document.inputSize {
            throw ModelError(file: file, place: "inputNormalization.means",
                             problem: "expected \(document.inputSize) values (inputSize), found \(n.means.count)")
        }
        let normalization = document.inputNormalization.map { n in
            InputNormalization(
                minimums: n.minimums ?? Array(repeating: -.infinity, count: document.inputSize),
                maximums: n.maximums ?? Array(repeating: .infinity, count: document.inputSize),
                means: n.means, ranges: n.ranges)
        }
        do {
            return try Network(
                inputSize: document.inputSize,
                layers: document.layers.map { DenseLayer(weights: $0.weights, biases: $0.biases, activation: $0.activation) },
                output: document.output ?? .logits,
                normalization: normalization)
        } catch let error as ModelError {
            throw file.map { error.inFile($0) } ?? error
        }
    }

    /// Renders a network as pretty-printed JSON with keys in a stable order.
    public static func render(_ network: Network) throws -> Data {
        let document = Document(
            format: "qrobust-mlp", version: 1, inputSize: network.inputSize, output: network.output,
            layers: network.layers.map { Layer(activation: $0.activation, weights: $0.weights, biases: $0.biases) },
            inputNormalization: network.normalization.map {
                Normalization(
                    minimums: $0.minimums.allSatisfy(\.isFinite) ? $0.minimums : nil,
                    maximums: $0.maximums.allSatisfy(\.isFinite) ? $0.maximums : nil,
                    means: $0.means, ranges: $0.ranges)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(document)
    }

    /// Turns a decoding error into a place (`layers[1].weights[0][2]`) and a problem.
    private static func describe(_ error: DecodingError) -> (place: String, problem: String) {
        func path(_ keys: [any CodingKey]) -> String {
            keys.reduce("") { text, key in
                if let index = key.intValue { return text + "[\(index)]" }
                return text.isEmpty ? key.stringValue : text + "." + key.stringValue
            }
        }
        switch error {
        case .typeMismatch(let type, let context):
            return (path(context.codingPath), "expected \(type == Double.self ? "a finite number" : "\(type)"): \(context.debugDescription)")
        case .valueNotFound(let type, let context):
            return (path(context.codingPath), "missing \(type)")
        case .keyNotFound(let key, let context):
            return (path(context.codingPath + [key]), "missing key \"\(key.stringValue)\"")
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.localizedDescription
            return (path(context.codingPath).isEmpty ? "document" : path(context.codingPath),
                    underlying.map { "not valid JSON (\($0))" } ?? context.debugDescription)
        @unknown default:
            return ("document", "\(error)")
        }
    }
}
