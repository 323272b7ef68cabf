import BigInt
import Testing
@testable import ExactArithmetic

/// Enclosures and parsing must stay cheap and sound for the extreme numbers
/// a fuzzer or a badly scaled model produces (a logit of 10⁹, `--tau=1e-999999`).
@Suite("Large arguments")
struct LargeArgumentTests {
    @Test("σ beyond ±512 is enclosed through the clamp, soundly: the clamped enclosure holds the exact one",
          arguments: [513, 600, 2000])
    func sigmoidSaturates(_ z: Int) {
        // exp(−z) for these z is still cheap to enclose exactly (≤ 11 squarings), so
        // the unclamped enclosure is the independent answer the clamped one must contain.
        let e = Exponential.exp(Rational(-z))
        let exactLower = Exponential.roundDown((Rational.one + e.upper).reciprocal, bits: 96)
        let exactUpper = Exponential.roundUp((Rational.one + e.lower).reciprocal, bits: 96)
        let clamped = Exponential.sigmoid(Rational(z))
        #expect(clamped.lower <= exactLower && exactUpper <= clamped.upper)
        #expect(clamped.upper == .one)
        // 96 significant bits: the enclosure is [1 − 2^-96, 1], as for any σ(z) near 1.
        #expect(Rational.one - clamped.lower <= Rational.powerOfTwo(-96))
        let negative = Exponential.sigmoid(Rational(-z))
        #expect(negative.lower == .zero)
        #expect(negative.upper < Rational.powerOfTwo(-700))
        let negativeExact = Exponential.roundUp((Rational.one + Exponential.exp(Rational(z)).lower).reciprocal, bits: 96)
        #expect(negativeExact <= negative.upper)
    }

    @Test("σ and softmax of 10¹² and 10⁹ logits: tiny numbers, no huge integers")
    func hugeLogits() {
        let big = Rational(BigInt(10).power(12))
        let s = Exponential.sigmoid(big)
        #expect(s.upper == .one && s.lower.numerator.bitWidth < 200)
        let t = Exponential.sigmoid(-big)
        #expect(t.lower == .zero && t.upper.denominator.bitWidth < 1000)
        let logits = [Rational(0), Rational(1_000_000_000), Rational(-1_000_000_000)]
        let loser = Exponential.softmax(logits, component: 0)
        #expect(loser.lower == .zero && loser.upper < Rational.powerOfTwo(-700))
        let winner = Exponential.softmax(logits, component: 1)
        #expect(winner.upper == .one && Rational.one - winner.lower <= Rational.powerOfTwo(-95))
        // Within the clamp the answer is unchanged: 511 is enclosed directly.
        let near = Exponential.softmax([Rational(0), Rational(511)], component: 0)
        let direct = Exponential.sigmoid(Rational(-511))
        #expect(near.lower <= direct.upper && direct.lower <= near.upper)
    }

    @Test("decimal exponents beyond ±1000 are refused at once; up to it they parse exactly")
    func boundedExponents() {
        for text in ["1e999999", "1e-999999", "1e1001", "-2.5E-1001", "0e100000"] {
            #expect(Rational(parsing: text) == nil, "\(text)")
        }
        #expect(Rational(parsing: "1e1000") == Rational(BigInt(10).power(1000), 1))
        #expect(Rational(parsing: "3e-1000") == Rational(BigInt(3), BigInt(10).power(1000)))
        #expect(Rational(parsing: "1.5e308")?.roundedUp == 1.5e308)
    }
}
