/// A layer's weights as stored integers: `W_kj = (q_kj − z_c)·s_c` with one
/// scale and zero point per matrix (c = 0) or per output channel (c = k), the
/// scales float32 values. What ``NetworkFile/write(_:to:integerWeights:)``
/// writes to ONNX as int8/uint8 initializers with `DequantizeLinear` (QDQ form).
public struct StoredIntegerWeights: Sendable, Equatable {
    public var integers: [[Int]]
    /// One value, or one per output channel; each exactly a float32 number.
    public var scales: [Float]
    public var zeroPoints: [Int]
    /// Whether the integers are unsigned (`uint8`) rather than signed (`int8`).
    public var isUnsigned: Bool

    public init(integers: [[Int]], scales: [Float], zeroPoints: [Int], isUnsigned: Bool) {
        self.integers = integers
        self.scales = scales
        self.zeroPoints = zeroPoints
        self.isUnsigned = isUnsigned
    }

    /// Whether every integer and zero point fits the 8-bit type (ONNX opset 13's `DequantizeLinear` types).
    public var fitsEightBits: Bool { fits(bits: 8) }

    /// Whether every integer and zero point fits the 16-bit type (int16 or uint16, opset 21).
    public var fitsSixteenBits: Bool { fits(bits: 16) }

    private func fits(bits: Int) -> Bool {
        let range = isUnsigned ? 0...((1 << bits) - 1) : -(1 << (bits - 1))...((1 << (bits - 1)) - 1)
        return integers.joined().allSatisfy(range.contains) && zeroPoints.allSatisfy(range.contains)
    }

    /// The dequantised weight matrix.
    public var values: [[Double]] {
        integers.enumerated().map { k, row in
            let c = scales.count == 1 ? 0 : k
            return row.map { Self.value(of: $0, scale: scales[c], zeroPoint: zeroPoints[c]) }
        }
    }

    /// `(q − z)·s`, exact in binary64 (at most 17 + 24 significant bits).
    public static func value(of q: Int, scale: Float, zeroPoint: Int) -> Double {
        Double(q - zeroPoint) * Double(scale)
    }
}
