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
