import Foundation

/// A constant tensor of an ONNX graph (an initializer or a `Constant` node's
/// value), decoded to exact binary64 values.
///
/// Every element type qrobust reads (float32, float64, float16, bfloat16,
/// int32, int64) converts to binary64 without rounding, so the weights the
/// tool proves things about are exactly the weights in the file.
struct ONNXTensor {
    /// The tensor's name in the graph (for error messages).
    var name: String
    var shape: [Int]
    /// The elements in row-major order.
    var values: [Double]
    /// The ONNX element type's name (`float`, `double`, …).
    var elementType: String
    /// Whether the elements are integers (an `int32`/`int64` tensor: shapes, axes).
    var isInteger: Bool
    /// The ONNX element type (for a zero point: the range of the quantised integers).
    var elementCode: Onnx_TensorProto.DataType = .float

    var count: Int { values.count }

    /// Decodes a `TensorProto`, checking that its dimensions and its data agree.
    /// - Throws: ``ModelError`` naming the tensor: an unsupported element type,
    ///   external data, a size mismatch, or a NaN.
    init(_ proto: Onnx_TensorProto, role: String) throws {
        let place = "\(role) '\(proto.name)'"
        func fail(_ problem: String) -> ModelError { ModelError(place: place, problem: problem) }
        guard proto.dataLocation != .external else {
            throw fail("its data is stored in an external file; save the model with its data inside (onnx.save(..., save_as_external_data=False))")
        }
        guard !proto.hasSegment else { throw fail("segmented tensors are not supported") }
        var count = 1
        for dim in proto.dims {
            guard dim >= 0 else { throw fail("has a negative dimension \(dim)") }
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(dim))
            guard !overflow, product <= 1 << 31 else { throw fail("has too many elements (dims \(proto.dims))") }
            count = product
        }
        name = proto.name
        shape = proto.dims.map { Int($0) }
        guard let type = Onnx_TensorProto.DataType(rawValue: Int(proto.dataType)) else {
            throw fail("unknown element type code \(proto.dataType)")
        }
        let raw = proto.rawData
        func decode<T>(_ stored: [T], bytes: Int, convert: (Data) -> [Double], from element: (T) -> Double) throws -> [Double] {
            if !raw.isEmpty {
                guard raw.count == count * bytes else {
                    throw fail("dims \(proto.dims) hold \(count) values but raw_data holds \(raw.count) bytes, \(raw.count / bytes) values of \(bytes) bytes")
                }
                return convert(raw)
            }
            guard stored.count == count else {
                throw fail("dims \(proto.dims) hold \(count) values but the data holds \(stored.count)")
            }
            return stored.map(element)
        }
        switch type {
        case .float:
            elementType = "float"
            values = try decode(proto.floatData, bytes: 4, convert: { Self.littleEndian($0, as: UInt32.self).map { Double(Float(bitPattern: $0)) } }, from: Double.init)
        case .double:
            elementType = "double"
            values = try decode(proto.doubleData, bytes: 8, convert: { Self.littleEndian($0, as: UInt64.self).map { Double(bitPattern: $0) } }, from: { $0 })
        case .float16:
            elementType = "float16"
            values = try decode(proto.int32Data, bytes: 2, convert: { Self.littleEndian($0, as: UInt16.self).map(Self.half) }, from: { Self.half(UInt16(truncatingIfNeeded: $0)) })
        case .bfloat16:
            elementType = "bfloat16"
            let widen = { (bits: UInt16) in Double(Float(bitPattern: UInt32(bits) << 16)) }
            values = try decode(proto.int32Data, bytes: 2, convert: { Self.littleEndian($0, as: UInt16.self).map(widen) }, from: { widen(UInt16(truncatingIfNeeded: $0)) })
        case .int64:
            elementType = "int64"
            values = try decode(proto.int64Data, bytes: 8, convert: { Self.littleEndian($0, as: UInt64.self).map { Double(Int64(bitPattern: $0)) } }, from: { Double($0) })
        case .bool, .uint8:
            elementType = type == .bool ? "bool" : "uint8"
            values = try decode(proto.int32Data, bytes: 1, convert: { $0.map { Double($0) } }, from: { Double($0) })
        case .int8:
            elementType = "int8"
            values = try decode(proto.int32Data, bytes: 1, convert: { $0.map { Double(Int8(bitPattern: $0)) } }, from: { Double(Int8(truncatingIfNeeded: $0)) })
        case .int16:
            elementType = "int16"
            values = try decode(proto.int32Data, bytes: 2, convert: { Self.littleEndian($0, as: UInt16.self).map { Double(Int16(bitPattern: $0)) } }, from: { Double(Int16(truncatingIfNeeded: $0)) })
        case .uint16:
            elementType = "uint16"
            values = try decode(proto.int32Data, bytes: 2, convert: { Self.littleEndian($0, as: UInt16.self).map { Double($0) } }, from: { Double(UInt16(truncatingIfNeeded: $0)) })
        case .int32:
            elementType = "int32"
            values = try decode(proto.int32Data, bytes: 4, convert: { Self.littleEndian($0, as: UInt32.self).map { Double(Int32(bitPattern: $0)) } }, from: { Double($0) })
        default:
            throw fail("element type \(type) is not supported (qrobust reads float, double, float16, bfloat16, int8, uint8, int16, uint16, int32, int64 and bool tensors)")
        }
        isInteger = [.int64, .int32, .int16, .uint16, .int8, .bool, .uint8].contains(type)
        elementCode = type
        if let i = values.firstIndex(where: \.isNaN) {
            throw fail("element \(i) is NaN")
        }
    }

    /// A tensor made from a `Constant` node's scalar or list attribute.
    init(name: String, shape: [Int], values: [Double], elementType: String, isInteger: Bool) {
        self.name = name
        self.shape = shape
        self.values = values
        self.elementType = elementType
        self.isInteger = isInteger
    }

    /// The elements as integers (for shapes and axes).
    var integers: [Int] { values.map { Int(exactly: $0) ?? 0 } }

    private static func littleEndian<T: FixedWidthInteger>(_ data: Data, as: T.Type) -> [T] {
        let size = MemoryLayout<T>.size
        return data.withUnsafeBytes { buffer in
            (0..<buffer.count / size).map { i in T(littleEndian: buffer.loadUnaligned(fromByteOffset: i * size, as: T.self)) }
        }
    }

    /// IEEE binary16 bits to the binary64 value they store (exact).
    static func half(_ bits: UInt16) -> Double {
        let sign: Double = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int(bits >> 10) & 0x1f
        let mantissa = Double(bits & 0x3ff)
        switch exponent {
        case 0: return sign * mantissa * 0x1p-24
        case 31: return mantissa == 0 ? sign * .infinity : .nan
        default: return sign * (1024 + mantissa) * Double(sign: .plus, exponent: exponent - 25, significand: 1)
        }
    }
}
