import Foundation
import SwiftProtobuf

/// Writes a network as an ONNX model (opset 13) that runtimes such as
/// onnxruntime run as is:
///
/// `[Max(x, min)] [Min(·, max)] [Sub(·, mean)] [Div(·, range)]`, then per layer
/// `Gemm(·, W, b, transB = 1)` and `Relu` for ReLU layers, then `Sigmoid` or
/// `Softmax(axis = −1)` for those outputs.
///
/// Tensors are float32 when every number of the network is exactly a float32
/// value (what runtimes expect), and float64 otherwise; either way the file
/// holds the network's exact weights, and reading it back gives the same bits.
enum ONNXExporter {
    static let opset: Int64 = 13

    static func render(_ network: Network) throws -> Data {
        let numbers = network.layers.flatMap { $0.weights.joined() + $0.biases }
            + (network.normalization.map { $0.means + $0.ranges + $0.minimums + $0.maximums } ?? [])
        let single = numbers.allSatisfy { Double(Float($0)) == $0 || $0.isNaN }
        let elementType: Onnx_TensorProto.DataType = single ? .float : .double

        var graph = Onnx_GraphProto()
        graph.name = "qrobust"
        var current = "input"
        func tensor(_ name: String, _ shape: [Int], _ values: [Double]) -> Onnx_TensorProto {
            var t = Onnx_TensorProto()
            t.name = name
            t.dims = shape.map(Int64.init)
            t.dataType = Int32(elementType.rawValue)
            var data = Data()
            if single {
                for v in values { withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            } else {
                for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            }
            t.rawData = data
            return t
        }
        func node(_ op: String, _ inputs: [String], name: String, attributes: [Onnx_AttributeProto] = []) {
            var n = Onnx_NodeProto()
            n.opType = op
            n.name = name
            n.input = inputs
            n.output = [name]
            n.attribute = attributes
            graph.node.append(n)
            current = name
        }
        func intAttribute(_ name: String, _ value: Int64) -> Onnx_AttributeProto {
            var a = Onnx_AttributeProto()
            a.name = name
            a.type = .int
            a.i = value
            return a
        }

        if let n = network.normalization, !n.isIdentity {
            let size = network.inputSize
            if n.minimums.contains(where: \.isFinite) {
                graph.initializer.append(tensor("input_minimums", [size], n.minimums))
                node("Max", [current, "input_minimums"], name: "clamp_below")
            }
            if n.maximums.contains(where: \.isFinite) {
                graph.initializer.append(tensor("input_maximums", [size], n.maximums))
                node("Min", [current, "input_maximums"], name: "clamp_above")
            }
            if n.means.contains(where: { $0 != 0 }) {
                graph.initializer.append(tensor("input_means", [size], n.means))
                node("Sub", [current, "input_means"], name: "subtract_means")
            }
            if n.ranges.contains(where: { $0 != 1 }) {
                graph.initializer.append(tensor("input_ranges", [size], n.ranges))
                node("Div", [current, "input_ranges"], name: "divide_by_ranges")
            }
        }
        for (l, layer) in network.layers.enumerated() {
            graph.initializer.append(tensor("layer\(l).weight", [layer.outputSize, layer.inputSize], Array(layer.weights.joined())))
            graph.initializer.append(tensor("layer\(l).bias", [layer.outputSize], layer.biases))
            node("Gemm", [current, "layer\(l).weight", "layer\(l).bias"], name: "layer\(l).gemm",
                 attributes: [intAttribute("transB", 1)])
            if layer.activation == .relu { node("Relu", [current], name: "layer\(l).relu") }
        }
        switch network.output {
        case .sigmoid: node("Sigmoid", [current], name: "sigmoid")
        case .softmax: node("Softmax", [current], name: "softmax", attributes: [intAttribute("axis", -1)])
        case .logits: break
        }
        graph.input = [valueInfo("input", features: network.inputSize, type: elementType)]
        graph.output = [valueInfo(current, features: network.outputSize, type: elementType)]

        var model = Onnx_ModelProto()
        model.irVersion = 7
        model.producerName = "qrobust"
        var opsetID = Onnx_OperatorSetIdProto()
        opsetID.domain = ""
        opsetID.version = opset
        model.opsetImport = [opsetID]
        model.graph = graph
        return try model.serializedBytes()
    }

    /// A `[batch, features]` tensor with a symbolic batch dimension.
    private static func valueInfo(_ name: String, features: Int, type: Onnx_TensorProto.DataType) -> Onnx_ValueInfoProto {
        var batch = Onnx_TensorShapeProto.Dimension()
        batch.dimParam = "batch"
        var width = Onnx_TensorShapeProto.Dimension()
        width.dimValue = Int64(features)
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Int32(type.rawValue)
        tensor.shape.dim = [batch, width]
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type.tensorType = tensor
        return info
    }
}
