import Bounds

/// An affine function `aᵀζ` of the lifted vector ζ (whose coordinate 0 is
/// the constant 1), with interval coefficients so that the products of
/// weights it is built from stay sound in binary64.
struct AffineForm: Sendable {
    var coefficients: [Interval]

    init(dimension: Int) { coefficients = Array(repeating: .zero, count: dimension) }

    /// The form `scale · ζ_i`.
    static func coordinate(_ i: Int, dimension: Int, scale: Interval = Interval(1)) -> AffineForm {
        var form = AffineForm(dimension: dimension)
        form.coefficients[i] = scale
        return form
    }

    /// The constant form `value`.
    static func constant(_ value: Interval, dimension: Int) -> AffineForm {
        coordinate(0, dimension: dimension, scale: value)
    }

    /// Grows the form to a larger ζ (new coordinates have coefficient 0).
    mutating func extend(to dimension: Int) {
        if coefficients.count < dimension {
            coefficients += Array(repeating: .zero, count: dimension - coefficients.count)
        }
    }

    static func + (a: AffineForm, b: AffineForm) -> AffineForm {
        var result = a
        result.extend(to: b.coefficients.count)
        for (i, c) in b.coefficients.enumerated() where c != .zero { result.coefficients[i] = result.coefficients[i] + c }
        return result
    }

    static prefix func - (a: AffineForm) -> AffineForm {
        AffineForm(coefficients: a.coefficients.map { -$0 })
    }

    static func - (a: AffineForm, b: AffineForm) -> AffineForm { a + (-b) }

    /// `w · self` for an interval factor w.
    func scaled(by w: Interval) -> AffineForm {
        AffineForm(coefficients: coefficients.map { $0 == .zero ? .zero : $0 * w })
    }

    /// `self += w · other`, rounded outward (the inner loop of a dense layer).
    mutating func add(_ other: AffineForm, times w: Double) {
        if w == 0 { return }
        extend(to: other.coefficients.count)
        for (i, c) in other.coefficients.enumerated() where c != .zero {
            coefficients[i] = coefficients[i] + c.scaled(by: w)
        }
    }

    /// A sound range over ζ's box: ζ₀ = 1, every other coordinate in its interval.
    func range(over box: [Interval]) -> Interval {
        var total = coefficients.first ?? .zero
        for i in 1..<coefficients.count where coefficients[i] != .zero {
            total = total + coefficients[i] * box[i]
        }
        return total
    }

    private init(coefficients: [Interval]) { self.coefficients = coefficients }
}

/// A quadratic fact about every reachable ζ: `ζᵀQζ ≥ 0` or `ζᵀQζ = 0`, with
/// Q symmetric and known entrywise as intervals (upper triangle, sparse).
///
/// Every constraint here is a product `a(ζ)·b(ζ)` of two affine forms, whose
/// matrix is `(abᵀ + baᵀ)/2`, scaled by a power of two to entries of order 1
/// so that the solver sees a well-scaled problem (the scale changes nothing:
/// multipliers absorb it, and powers of two are exact).
struct QuadraticConstraint: Sendable {
    enum Kind: Sendable { case nonnegative, zero }

    var kind: Kind
    /// Entries `(i, j, value)` with `i ≤ j`.
    var entries: [(row: Int, column: Int, value: Interval)]

    /// `a(ζ)·b(ζ) ≥ 0` (or `= 0`).
    init(_ kind: Kind, product a: AffineForm, _ b: AffineForm) {
        self.kind = kind
        var matrix = SymmetricEntries()
        matrix.addProduct(a, b)
        let largest = matrix.values.values.map(\.magnitude).max() ?? 0
        // Clamped so that tiny (e.g. outward-rounded zero) entries cannot scale to infinity.
        let exponent = largest > 0 && largest.isFinite ? min(max(-Int(largest.exponent), -600), 600) : 0
        let scale = Double(sign: .plus, exponent: exponent, significand: 1)
        entries = matrix.sorted.map { ($0.row, $0.column, Interval(($0.value.lower * scale).nextDown, ($0.value.upper * scale).nextUp)) }
    }
}

/// The upper triangle of a symmetric matrix with interval entries, sparse.
struct SymmetricEntries: Sendable {
    struct Position: Hashable, Comparable, Sendable {
        var row: Int
        var column: Int
        static func < (a: Position, b: Position) -> Bool { (a.row, a.column) < (b.row, b.column) }
    }

    var values: [Position: Interval] = [:]

    /// Adds the matrix of `a(ζ)·b(ζ)`, `(abᵀ + baᵀ)/2`.
    mutating func addProduct(_ a: AffineForm, _ b: AffineForm) {
        let ai = a.coefficients.indices.filter { a.coefficients[$0] != .zero }
        let bi = b.coefficients.indices.filter { b.coefficients[$0] != .zero }
        for i in ai {
            for j in bi {
                // a_i b_j contributes half to (i, j) and half to (j, i): once to the upper entry.
                let key = i <= j ? Position(row: i, column: j) : Position(row: j, column: i)
                let p = a.coefficients[i] * b.coefficients[j]
                let term = i == j ? p : p.scaled(by: 0.5)
                values[key] = (values[key] ?? .zero) + term
            }
        }
    }

    /// How many upper-triangle entries ``addProduct(_:_:)`` gives `a·b` (before
    /// cancellation): every pair (i, j) of their nonzero coordinates, less the
    /// pairs counted twice, (i, j) and (j, i) with both i and j nonzero in both.
    static func count(_ a: AffineForm, _ b: AffineForm) -> Int {
        let length = max(a.coefficients.count, b.coefficients.count)
        var inA = 0, inB = 0, inBoth = 0
        for i in 0..<length {
            let x = i < a.coefficients.count && a.coefficients[i] != .zero
            let y = i < b.coefficients.count && b.coefficients[i] != .zero
            if x { inA += 1 }
            if y { inB += 1 }
            if x && y { inBoth += 1 }
        }
        return inA * inB - inBoth * (inBoth - 1) / 2
    }

    var sorted: [(row: Int, column: Int, value: Interval)] {
        values.keys.sorted().map { ($0.row, $0.column, values[$0]!) }
    }
}
