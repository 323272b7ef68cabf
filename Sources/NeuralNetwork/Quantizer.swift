import BigInt
import ExactArithmetic

/// ONNX `QuantizeLinear` followed by `DequantizeLinear` with the same scale and
/// zero point, on a real number, exactly:
/// `q = clamp(roundHalfEven(x / s) + z, lowest, highest)`, value `(q − z)·s`.
///
/// This is the operator specification's arithmetic with `x / s` taken exactly
/// (the specification computes it in float32). It is also what a fused integer
/// kernel computes with an exact requantisation: an int32 accumulator
/// `Σ (q_x − z_x)(q_w − z_w)` of scale `s_x·s_w`, requantised to scale `s` by
/// `round(acc·s_x·s_w / s) + z`, is this quantizer applied to the real product
/// of the dequantised tensors. A zero point at the bottom of the range
/// (`z = lowest`) makes the clamp a ReLU, which is how quantisers fuse it.
public struct Quantizer: Sendable, Equatable, CustomStringConvertible {
    /// The scale, exactly the stored float32 value (> 0).
    public var scale: Rational
    public var zeroPoint: Int
    /// The integer range of the element type (int8: −128…127, uint8: 0…255).
    public var lowest: Int, highest: Int

    public init(scale: Rational, zeroPoint: Int, lowest: Int, highest: Int) {
        self.scale = scale
        self.zeroPoint = zeroPoint
        self.lowest = lowest
        self.highest = highest
    }

    /// The stored integer for x.
    public func quantize(_ x: Rational) -> Int {
        // x / s = (a·d) / (b·c) for x = a/b, s = c/d, rounded without reducing the fraction.
        let rounded = Self.roundHalfEven(x.numerator * scale.denominator, over: x.denominator * scale.numerator) + BigInt(zeroPoint)
        if rounded < BigInt(lowest) { return lowest }
        if rounded > BigInt(highest) { return highest }
        return Int(rounded)
    }

    /// The real value of a stored integer: `(q − z)·s`.
    public func value(of q: Int) -> Rational {
        Rational(q - zeroPoint) * scale
    }

    /// `value(of: quantize(x))`.
    public func apply(_ x: Rational) -> Rational {
        value(of: quantize(x))
    }

    /// The nearest integer, ties to the even one (ONNX `QuantizeLinear`).
    public static func roundHalfEven(_ x: Rational) -> BigInt {
        roundHalfEven(x.numerator, over: x.denominator)
    }

    /// `roundHalfEven(n / d)` for d > 0, in integer arithmetic.
    static func roundHalfEven(_ n: BigInt, over d: BigInt) -> BigInt {
        var (floor, remainder) = n.quotientAndRemainder(dividingBy: d)
        if remainder.sign == .minus && !remainder.isZero {
            floor -= 1
            remainder += d
        }
        let twice = remainder << 1
        if twice < d { return floor }
        if twice > d { return floor + 1 }
        return floor.isMultiple(of: 2) ? floor : floor + 1
    }

    /// For example `scale 0.0123 (exactly …), zero point −128, int8`.
    public var description: String {
        let type = switch (lowest, highest) {
        case (-128, 127): "int8"
        case (0, 255): "uint8"
        case (-32768, 32767): "int16"
        case (0, 65535): "uint16"
        default: "integers \(lowest)…\(highest)"
        }
        return "scale \(scale.approximateDouble), zero point \(zeroPoint), \(type)"
    }
}
