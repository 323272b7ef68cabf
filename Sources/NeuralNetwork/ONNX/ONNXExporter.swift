import Foundation
import SwiftProtobuf

/// Writes a network as an ONNX model (opset 13; 21 for 16-bit stored weights)
/// that runtimes such as onnxruntime run as is:
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

    /// - Parameter integerWeights: per layer, its weights as stored integers (the
    ///   network's weights are their dequantised values): written as int8 or uint8
    ///   initializers (int16 or uint16, and opset 21, when some do not fit 8 bits)
    ///   with a float32 scale and a zero point, per tensor or per output channel
    ///   (`axis = 0`), and a `DequantizeLinear` before the `Gemm`.
    /// - Throws: ``ModelError`` when they do not match the network, do not fit
    ///   16 bits, or the other numbers are not float32 (the QDQ graph computes in float32).
    static func render(_ network: Network, integerWeights: [StoredIntegerWeights]? = nil) throws -> Data {
        var wide = false
        if let integerWeights {
            guard integerWeights.count == network.layers.count,
                  zip(integerWeights, network.layers).allSatisfy({ $0.values == $1.weights }) else {
                throw ModelError(place: "", problem: "the stored integers do not give the network's weights")
            }
            guard integerWeights.allSatisfy(\.fitsSixteenBits) else {
                throw ModelError(place: "", problem: "QDQ files hold weights of at most 16 bits; write more bits as dequantised floats")
            }
            // DequantizeLinear takes int16 and uint16 from opset 21 on.
            wide = !integerWeights.allSatisfy(\.fitsEightBits)
        }
        let opset: Int64 = wide ? 21 : Self.opset
        let numbers = (integerWeights == nil ? network.layers.flatMap { $0.weights.joined() } : []) + network.constantsBesideWeights
        let single = numbers.allSatisfy { Double(Float($0)) == $0 || $0.isNaN }
        if integerWeights != nil && !single {
            throw ModelError(place: "", problem: "a QDQ file computes in float32, but a bias or normalisation constant is not a float32 number")
        }
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
        func integerTensor(_ name: String, _ shape: [Int], _ values: [Int], unsigned: Bool) -> Onnx_TensorProto {
            var t = Onnx_TensorProto()
            t.name = name
            t.dims = shape.map(Int64.init)
            if wide {
                t.dataType = Int32((unsigned ? Onnx_TensorProto.DataType.uint16 : .int16).rawValue)
                var data = Data()
                for v in values { withUnsafeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian) { data.append(contentsOf: $0) } }
                t.rawData = data
            } else {
                t.dataType = Int32((unsigned ? Onnx_TensorProto.DataType.uint8 : .int8).rawValue)
                t.rawData = Data(values.map { UInt8(truncatingIfNeeded: $0) })
            }
            return t
        }
        for (l, layer) in network.layers.enumerated() {
            if let stored = integerWeights?[l] {
                let perChannel = stored.scales.count > 1
                let shape = perChannel ? [stored.scales.count] : []
                graph.initializer.append(integerTensor("layer\(l).weight_quantized", [layer.outputSize, layer.inputSize],
                                                       Array(stored.integers.joined()), unsigned: stored.isUnsigned))
                graph.initializer.append(tensor("layer\(l).weight_scale", shape, stored.scales.map(Double.init)))
                graph.initializer.append(integerTensor("layer\(l).weight_zero_point", shape, stored.zeroPoints, unsigned: stored.isUnsigned))
                var dequantize = Onnx_NodeProto()
                dequantize.opType = "DequantizeLinear"
                dequantize.name = "layer\(l).weight_dequantize"
                dequantize.input = ["layer\(l).weight_quantized", "layer\(l).weight_scale", "layer\(l).weight_zero_point"]
                dequantize.output = ["layer\(l).weight"]
                if perChannel { dequantize.attribute = [intAttribute("axis", 0)] }
                graph.node.append(dequantize)
            } else {
                graph.initializer.append(tensor("layer\(l).weight", [layer.outputSize, layer.inputSize], Array(layer.weights.joined())))
            }
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
        model.irVersion = wide ? 10 : 7  // opset 21 needs IR version 10
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
