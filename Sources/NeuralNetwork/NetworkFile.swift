import Foundation

/// Reads and writes networks by file extension: `.onnx`, `.nnet` or `.json`.
public enum NetworkFile {
    /// The formats qrobust reads and writes.
    public enum Format: String, Sendable, CaseIterable {
        case onnx, nnet, json

        /// The format a path's extension names, if any.
        public init?(path: String) {
            self.init(rawValue: (path as NSString).pathExtension.lowercased())
        }
    }

    /// Loads and validates a real-valued network (not one that quantises its activations).
    /// - Throws: ``ModelError`` naming the file, the place and the problem.
    public static func load(_ path: String) throws -> Network {
        try open(path).realValued(file: path)
    }

    /// Loads and validates a network, with what reading it did (for `qrobust info`).
    /// - Throws: ``ModelError`` naming the file, the place and the problem.
    public static func open(_ path: String) throws -> LoadedNetwork {
        guard let format = Format(path: path) else {
            let ext = (path as NSString).pathExtension
            throw ModelError(file: path, place: "", problem: "unknown model format '.\(ext)' (qrobust reads .onnx, .nnet and .json)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ModelError(file: path, place: "", problem: exists ? "cannot be read" : "no such file")
        }
        guard !data.isEmpty else { throw ModelError(file: path, place: "", problem: "the file is empty") }
        switch format {
        case .onnx:
            return try ONNXFormat.parse(data, file: path)
        case .json:
            return LoadedNetwork(network: try JSONFormat.parse(data, file: path), provenance: ModelProvenance(format: "qrobust JSON"))
        case .nnet:
            guard let text = String(data: data, encoding: .utf8) else {
                throw ModelError(file: path, place: "", problem: "not UTF-8 text")
            }
            return LoadedNetwork(network: try NNetFormat.parse(text, file: path), provenance: ModelProvenance(format: ".nnet"))
        }
    }

    /// Writes a network in the format its path's extension names.
    /// - Parameter integerWeights: for `.onnx`, each layer's weights as stored
    ///   8-bit integers, written in QDQ form (`DequantizeLinear` on int8 or uint8
    ///   initializers); the other formats hold the dequantised values.
    public static func write(_ network: Network, to path: String, integerWeights: [StoredIntegerWeights]? = nil) throws {
        guard let format = Format(path: path) else {
            throw ModelError(file: path, place: "", problem: "unknown output format '.\((path as NSString).pathExtension)' (write .onnx, .nnet or .json)")
        }
        let data: Data
        do {
            data = switch format {
            case .onnx: try ONNXFormat.render(network, integerWeights: integerWeights)
            case .json: try JSONFormat.render(network)
            case .nnet: Data(NNetFormat.render(network).utf8)
            }
        } catch let error as ModelError {
            throw error.inFile(path)
        }
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            throw ModelError(file: path, place: "", problem: "cannot write: \(error.localizedDescription)")
        }
    }
}
