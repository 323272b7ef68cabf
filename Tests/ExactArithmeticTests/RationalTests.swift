import BigInt
import Compression
import Foundation
import Testing
@testable import ExactArithmetic

@Suite("Rational")
struct RationalTests {
    @Test("arithmetic is exact and normalised")
    func arithmetic() {
        let a = Rational(1, 3), b = Rational(1, 6)
        #expect(a + b == Rational(1, 2))
        #expect(a - b == Rational(1, 6))
        #expect(a * b == Rational(1, 18))
        #expect(a / b == Rational(2))
        #expect(Rational(-4, -8) == Rational(1, 2))
        #expect(Rational(3, -9).description == "-1/3")
        #expect(Rational(-7, 2).floor == -4 && Rational(-7, 2).ceiling == -3)
        #expect(Rational(7, 2).floor == 3 && Rational(7, 2).ceiling == 4)
    }

    @Test("Double converts to the exact binary value it stores",
          arguments: [0.1, 1e-05, 1e300, -0.0, Double.leastNonzeroMagnitude, Double.leastNormalMagnitude, -123.456, 2.5, Double.greatestFiniteMagnitude,
                     0.75, -1024, 3 * Double.leastNonzeroMagnitude, 0x1p-1060, 96])
    func exactDouble(_ value: Double) throws {
        let r = try #require(Rational(exactly: value))
        // Independent check: the denominator is a power of two and the value
        // converts back to the same Double bit pattern.
        #expect(r.denominator & (r.denominator - 1) == 0)
        #expect(r.roundedDown == value || (value == 0 && r.roundedDown == 0))
        #expect(r.roundedUp == value || (value == 0 && r.roundedUp == 0))
        // In lowest terms without a gcd: the same fields as the gcd-reducing initializer.
        let reduced = Rational(r.numerator * 8, r.denominator * 8)
        #expect(r.numerator == reduced.numerator && r.denominator == reduced.denominator)
    }

    @Test("0.1 is not 1/10, and the smallest subnormal is 2^-1074")
    func knownValues() throws {
        #expect(Rational(exactly: 0.1)! != Rational(1, 10))
        #expect(Rational(exactly: 0.1)! == Rational(BigInt(3602879701896397), BigInt(1) << 55))
        #expect(Rational(exactly: Double.leastNonzeroMagnitude)! == Rational.powerOfTwo(-1074))
        #expect(Rational(exactly: .nan) == nil && Rational(exactly: .infinity) == nil)
    }

    @Test("decimal text parses exactly")
    func parsing() {
        #expect(Rational(parsing: "1e-05") == Rational(1, 100_000))
        #expect(Rational(parsing: "1E5") == Rational(100_000))
        #expect(Rational(parsing: "-0.25") == Rational(-1, 4))
        #expect(Rational(parsing: "3/4") == Rational(3, 4))
        #expect(Rational(parsing: ".5") == Rational(1, 2))
        #expect(Rational(parsing: "+2.") == Rational(2))
        #expect(Rational(parsing: "123456789012345678901234567890") == Rational(BigInt("123456789012345678901234567890")))
        for bad in ["", "abc", "1/0", "nan", "inf", "1e", "1.2.3", "--1", "0x10", ".", "-", "+.", "1-2"] {
            #expect(Rational(parsing: bad) == nil, "\(bad) should not parse")
        }
    }

    @Test("short decimals (the allocation-free path) read as the general parser reads them")
    func shortDecimalsAgree() {
        // A leading space sends the text down the general path.
        var texts = ["0", "-0", "+7", "255", "0.5", "-0.25", ".5", "2.", "+2.", "007.100", "999999999999999999",
                     "-99999999999.9999999", "1234567890123456789", "0.000000000000000001", "-.", "1.2.3"]
        var rng = SplitMix64(seed: 5)
        for _ in 0..<500 {
            let digits = String((0..<Int.random(in: 1...20, using: &rng)).map { _ in "0123456789".randomElement(using: &rng)! })
            let cut = Int.random(in: 0...digits.count, using: &rng)
            let point = Bool.random(using: &rng) ? digits.prefix(cut) + "." + digits.dropFirst(cut) : Substring(digits)
            texts.append((Bool.random(using: &rng) ? "-" : "") + point)
        }
        for text in texts {
            #expect(Rational(parsing: text) == Rational(parsing: " " + text), "\(text)")
        }
    }

    @Test("directed rounding brackets the value")
    func directedRounding() {
        let third = Rational(1, 3)
        #expect(Rational(exactly: third.roundedDown)! < third)
        #expect(third < Rational(exactly: third.roundedUp)!)
        #expect(third.roundedUp == third.roundedDown.nextUp)
        #expect(Rational(-1, 3).roundedUp == -third.roundedDown)
    }
}

@Suite("Exponential enclosures")
struct ExponentialTests {
    @Test("conversion to Double is correctly rounded: 1/d and n/d agree with IEEE division (exact operands)")
    func correctlyRounded() {
        // IEEE 754 division of two exactly representable integers is correctly rounded,
        // so it is an independent oracle for n/d with n, d < 2^53.
        for d in 1...3000 {
            #expect(Rational(1, d).approximateDouble == 1.0 / Double(d), "1/\(d)")
        }
        var state: UInt64 = 99
        for _ in 0..<3000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let n = Int(state >> 11) - (1 << 52), d = Int((state >> 20) & ((1 << 40) - 1)) + 1
            #expect(Rational(n, d).approximateDouble == Double(n) / Double(d), "\(n)/\(d)")
        }
        // The issue's example: τ = 0.01 is shown as 0.01.
        #expect(Rational(parsing: "0.01")!.approximateDouble == 0.01)
        #expect("\(Rational(parsing: "0.01")!.approximateDouble)" == "0.01")
    }

    @Test("directed and nearest rounding at the ends of binary64: subnormal ties, overflow")
    func roundingEdges() {
        let tiny = Rational(1, BigInt(1) << 1074)               // 2^-1074, the smallest subnormal
        #expect(tiny.approximateDouble == Double.leastNonzeroMagnitude)
        #expect((tiny * Rational(1, 2)).approximateDouble == 0)   // a tie: to even, 0
        #expect((tiny * Rational(3, 2)).approximateDouble == 2 * Double.leastNonzeroMagnitude)  // a tie: to even, 2 quanta
        #expect((tiny * Rational(1, 2)).roundedUp == Double.leastNonzeroMagnitude)
        #expect((-tiny * Rational(1, 2)).roundedDown == -Double.leastNonzeroMagnitude)
        let huge = Rational(BigInt(1) << 1024, 1)
        #expect(huge.approximateDouble == .infinity)
        #expect(huge.roundedDown == .greatestFiniteMagnitude)
        #expect((-huge).roundedUp == -.greatestFiniteMagnitude)
        #expect(Rational(exactly: Double.greatestFiniteMagnitude)!.approximateDouble == .greatestFiniteMagnitude)
        for value in [0.1, 1.0 / 3, Double.leastNormalMagnitude / 3, 123456.789, -2.5e300] {
            let exact = Rational(exactly: value)! + Rational(1, BigInt(1) << 1200)
            #expect(exact.roundedDown <= value && value <= exact.roundedUp)
            #expect(exact.roundedDown == value && exact.roundedUp == value.nextUp)
            #expect(exact.rounded(.towardZero) == (value > 0 ? value : value.nextUp))
        }
    }

    @Test("exp, sigmoid and softmax enclose the libm values", arguments: [-50.0, -3.5, -0.1, 0, 0.3, 1, 2.75, 20, 300])
    func enclosesLibm(_ x: Double) {
        let r = Rational(exactly: x)!
        let e = Exponential.exp(r)
        let reference = Foundation.exp(x)
        // libm is accurate to ~1 ulp: the enclosure must sit within a few ulps of it.
        #expect(e.lower.roundedDown <= reference.nextUp.nextUp)
        #expect(e.upper.roundedUp >= reference.nextDown.nextDown)
        #expect(e.width < Rational(exactly: reference)! * Rational.powerOfTwo(-80) + Rational.powerOfTwo(-200))
        let s = Exponential.sigmoid(r)
        let sigma = 1 / (1 + Foundation.exp(-x))
        #expect(abs(s.lower.approximateDouble - sigma) <= 4 * sigma.ulp)
    }

    @Test("exp(1) encloses e to 90 bits; σ(0) = 1/2 exactly enclosed")
    func constants() {
        // e = 2.71828182845904523536028747135266249775724709369995...
        let e = Rational(parsing: "2.71828182845904523536028747135266249775724709369995")!
        let enclosure = Exponential.exp(.one)
        #expect(enclosure.lower <= e && e <= enclosure.upper + Rational(1, 100_000_000) * Rational.powerOfTwo(-120))
        let half = Exponential.sigmoid(.zero)
        #expect(half.lower <= Rational(1, 2) && Rational(1, 2) <= half.upper)
        let soft = Exponential.softmax([.zero, .zero, .zero], component: 1)
        #expect(soft.lower <= Rational(1, 3) && Rational(1, 3) <= soft.upper)
    }
}
