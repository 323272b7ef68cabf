import Foundation
import BigInt

extension Rational {
    /// Parses a number written as a decimal (`-0.25`, `1e-05`, `3.5E+2`), an
    /// integer, or a fraction (`3/4`, `-7/16`), exactly.
    ///
    /// `0.1` becomes exactly 1/10, not the binary64 value nearest to it.
    /// Returns `nil` for anything else, including `nan`, `inf`, a zero
    /// denominator and a decimal exponent beyond ±``largestDecimalExponent``
    /// (`1e999999` would otherwise be a million-digit integer).
    public init?(parsing text: String) {
        if let simple = Self.parseShortDecimal(text) {
            self = simple
            return
        }
        let s = text.trimmingCharacters(in: .whitespaces)
        if let slash = s.firstIndex(of: "/") {
            guard let n = BigInt(String(s[..<slash]).trimmingCharacters(in: .whitespaces)),
                  let d = BigInt(String(s[s.index(after: slash)...]).trimmingCharacters(in: .whitespaces)),
                  !d.isZero
            else { return nil }
            self.init(n, d)
            return
        }
        guard let value = Self.parseDecimal(Substring(s)) else { return nil }
        self = value
    }

    /// The common case without allocations: an optional sign, then at most 18
    /// ASCII digits with at most one decimal point (`255`, `-0.25`); nil for
    /// anything else (spaces, exponents, fractions, longer numbers), which the
    /// general parser reads. A file of 78,400 pixels spent two thirds of its
    /// reading time in Foundation's trimming and BigInt's digit parsing.
    private static func parseShortDecimal(_ text: String) -> Rational? {
        var utf8 = text.utf8[...]
        var negative = false
        if let first = utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            utf8 = utf8.dropFirst()
        }
        var digits = 0, fractionDigits = 0, sawPoint = false
        var value: Int64 = 0
        for byte in utf8 {
            if byte == UInt8(ascii: ".") {
                guard !sawPoint else { return nil }
                sawPoint = true
                continue
            }
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte), digits < 18 else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            digits += 1
            if sawPoint { fractionDigits += 1 }
        }
        guard digits > 0 else { return nil }
        let signed = BigInt(negative ? -value : value)
        // An integer is in lowest terms already: no gcd.
        guard fractionDigits > 0 else { return Rational(normalizedNumerator: signed, denominator: 1) }
        var power: Int64 = 1
        for _ in 0..<fractionDigits { power *= 10 }
        return Rational(signed, BigInt(power))
    }

    /// The largest decimal exponent `parsing` accepts. It is far beyond
    /// binary64's range (about 10^±308), so every number a model or a query
    /// can meaningfully hold parses, while `1e999999` is refused at once.
    public static let largestDecimalExponent = 1000

    private static func parseDecimal(_ s: Substring) -> Rational? {
        var rest = s
        var negative = false
        if let first = rest.first, first == "+" || first == "-" {
            negative = first == "-"
            rest = rest.dropFirst()
        }
        var mantissaText = rest
        var exponent = 0
        if let e = rest.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissaText = rest[..<e]
            var expText = rest[rest.index(after: e)...]
            var expNegative = false
            if let first = expText.first, first == "+" || first == "-" {
                expNegative = first == "-"
                expText = expText.dropFirst()
            }
            guard !expText.isEmpty, expText.allSatisfy({ $0.isASCII && $0.isNumber }),
                  expText.count <= 6, let value = Int(expText)
            else { return nil }
            exponent = expNegative ? -value : value
        }
        let parts = mantissaText.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integerDigits = parts[0]
        let fractionDigits = parts.count > 1 ? parts[1] : ""
        guard !(integerDigits.isEmpty && fractionDigits.isEmpty),
              (integerDigits + fractionDigits).allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        guard var digits = BigInt(String(integerDigits + fractionDigits).isEmpty ? "0" : String(integerDigits + fractionDigits))
        else { return nil }
        if negative { digits.negate() }
        guard abs(exponent) <= largestDecimalExponent,
              integerDigits.count + fractionDigits.count <= 10 * largestDecimalExponent else { return nil }
        let scale = exponent - fractionDigits.count
        let ten = BigInt(10)
        return scale >= 0
            ? Rational(digits * ten.power(scale), 1)
            : Rational(digits, ten.power(-scale))
    }
}

extension Rational {
    /// Parses a comma-separated list of exact numbers (`0.5,-0.2,1/3`).
    /// - Returns: nil and the offending entry when one does not parse.
    public static func parseList(_ text: String) -> (values: [Rational]?, bad: String?) {
        let fields = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var values: [Rational] = []
        for field in fields {
            guard let v = Rational(parsing: field) else { return (nil, field) }
            values.append(v)
        }
        return (values, nil)
    }
}
