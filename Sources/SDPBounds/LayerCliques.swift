import NeuralNetwork

/// The blocks of a layered encoding's LMI (``LMIDecomposition/layers``).
///
/// Block k (0-based) holds ζ₀ and the coordinates of levels k and k + 1: the
/// inputs and hidden layer 1 for k = 0, hidden layers k and k + 1 after. Every
/// constraint of a layered ``PairEncoding`` only joins coordinates of two
/// adjacent levels, so its entries lie in one block. The blocks form a chain in
/// which consecutive ones share ζ₀ and one level (the separator) and no
/// coordinate sits in two blocks that are not consecutive: the pattern is
/// chordal and the chain is a clique tree. By Agler's theorem a matrix M with
/// this pattern has `−M ⪰ 0` exactly when `−M = Σ_k E_kᵀ S_k E_k` with every
/// `S_k ⪰ 0`: each block is a PSD block of its own, and a free *transfer*
/// variable per separator entry moves that entry between the two blocks that
/// share it.
struct LayerCliques: Sendable {
    /// Each block's coordinates, ascending.
    let members: [[Int]]
    /// Each block's position of a coordinate in it.
    private let positions: [[Int: Int]]
    /// The coordinates blocks k and k + 1 share, ascending (ζ₀ first).
    let separators: [[Int]]
    private let levels: [Int]

    /// - Parameters:
    ///   - levels: each coordinate's level (``PairEncoding/levels``).
    ///   - hiddenLayers: how many hidden layers the networks have (one block each; at least one block).
    init(levels: [Int], hiddenLayers: Int) {
        self.levels = levels
        let count = max(hiddenLayers, 1)
        var members = Array(repeating: [0], count: count)
        // Level k belongs to blocks k − 1 and k, those that exist; ascending order comes with i.
        for (i, level) in levels.enumerated().dropFirst() {
            for block in [level - 1, level] where members.indices.contains(block) { members[block].append(i) }
        }
        self.members = members
        positions = self.members.map { Dictionary(uniqueKeysWithValues: $0.enumerated().map { ($1, $0) }) }
        separators = (0..<(count - 1)).map { k in [0] + levels.indices.filter { $0 > 0 && levels[$0] == k + 1 } }
    }

    /// How many transfer variables tie the blocks: one per separator entry on or above the diagonal.
    var transferCount: Int { separators.reduce(0) { $0 + $1.count * ($1.count + 1) / 2 } }

    /// The block an entry (row, column) of the LMI goes to: the lower of the
    /// (at most two) blocks holding both coordinates.
    /// - Throws: ``InternalError`` when no block holds both (the encoding broke its layering).
    func block(row: Int, column: Int) throws -> Int {
        let used = [row, column].filter { $0 > 0 }.map { levels[$0] }
        return try block(levels: used)
    }

    /// The block holding every coordinate the product `a·b` uses.
    func block(of a: AffineForm, _ b: AffineForm) throws -> Int {
        var used: [Int] = []
        for form in [a, b] {
            for (i, c) in form.coefficients.enumerated() where i > 0 && c != .zero { used.append(levels[i]) }
        }
        return try block(levels: used)
    }

    private func block(levels used: [Int]) throws -> Int {
        guard let high = used.max(), let low = used.min() else { return 0 }
        guard high - low <= 1 else {
            throw InternalError("an SDP constraint joins layers \(low) and \(high) of the layered encoding, which no block holds")
        }
        return min(max(high - 1, 0), members.count - 1)
    }

    /// The position of coordinate `i` in block `k`.
    func position(_ i: Int, in k: Int) -> Int { positions[k][i]! }
}
