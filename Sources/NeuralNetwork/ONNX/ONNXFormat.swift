import Foundation

/// Reads and writes ONNX models of fully connected networks.
///
/// Reading accepts what torch.onnx.export, tf2onnx and skl2onnx write for
/// MLPs (see ``ONNXImporter``); writing produces `Gemm` + `Relu` chains (see
/// ``ONNXExporter``). Both keep the exact weights: no number is rounded.
public enum ONNXFormat {
    /// Parses a serialized ONNX model. `file` only names the source in errors.
    /// - Throws: ``ModelError`` naming the node or tensor and the problem.
    public static func parse(_ data: Data, file: String? = nil) throws -> LoadedNetwork {
        do {
            let (network, provenance, quantizers) = try ONNXImporter.read(data)
            return LoadedNetwork(network: network, provenance: provenance, quantizers: quantizers)
        } catch let error as ModelError {
            throw file.map { error.inFile($0) } ?? error
        }
    }

    /// Serializes a network as an ONNX model (opset 13; opset 21 when stored integer weights need 16 bits).
    public static func render(_ network: Network, integerWeights: [StoredIntegerWeights]? = nil) throws -> Data {
        try ONNXExporter.render(network, integerWeights: integerWeights)
    }
}
