import NeuralNetwork

/// Magnitude pruning: the weights of smallest magnitude become zero.
///
/// The rules, written down exactly:
/// - **What is pruned.** Weights only by default; with ``includesBiases`` the
///   biases compete with them in the same ranking.
/// - **How many.** `⌊sparsity · n⌋` of the n candidates (globally, or per layer
///   with ``perLayer``): never more than asked. Weights that are already zero
///   rank first, so they count towards the target.
/// - **Ties** are broken by position: a smaller magnitude first, then the lower
///   layer, then the lower row, then the lower column (a bias after its row's
///   weights). The result is the same on every run and platform.
/// - **Sparsity 0** prunes nothing: the network is returned bit for bit.
public struct MagnitudePruning: Sendable, Equatable, CustomStringConvertible {
    /// The fraction of candidates to set to zero, in [0, 1].
    public let sparsity: Double
    /// Rank within each layer instead of across the whole network.
    public let perLayer: Bool
    public let includesBiases: Bool

    public init(sparsity: Double, perLayer: Bool = false, includesBiases: Bool = false) throws {
        guard sparsity >= 0, sparsity <= 1 else {
            throw CompressionError("the sparsity must lie between 0 and 1, found \(sparsity)")
        }
        self.sparsity = sparsity
        self.perLayer = perLayer
        self.includesBiases = includesBiases
    }

    /// What pruning did.
    public struct Outcome: Sendable, Equatable {
        public var network: Network
        /// Candidates (weights, and biases if included) now zero, and how many there are.
        public var zeros: Int, candidates: Int
        /// Candidates that were nonzero and are now zero.
        public var pruned: Int
        /// The fraction of candidates that are zero: the sparsity actually reached.
        public var reached: Double { candidates == 0 ? 0 : Double(zeros) / Double(candidates) }
    }

    /// A parameter's place: layer, row, and column (nil for the row's bias).
    private struct Place: Comparable {
        var layer: Int, row: Int, column: Int?
        static func < (a: Place, b: Place) -> Bool {
            (a.layer, a.row, a.column ?? Int.max) < (b.layer, b.row, b.column ?? Int.max)
        }
    }

    /// Prunes `network`.
    public func apply(to network: Network) throws -> Outcome {
        var places: [[Place]] = perLayer ? network.layers.map { _ in [] } : [[]]
        for (l, layer) in network.layers.enumerated() {
            for k in 0..<layer.outputSize {
                for j in 0..<layer.inputSize { places[perLayer ? l : 0].append(Place(layer: l, row: k, column: j)) }
                if includesBiases { places[perLayer ? l : 0].append(Place(layer: l, row: k, column: nil)) }
            }
        }
        func magnitude(_ p: Place) -> Double {
            let layer = network.layers[p.layer]
            return abs(p.column.map { layer.weights[p.row][$0] } ?? layer.biases[p.row])
        }
        var layers = network.layers
        var pruned = 0, zeros = 0, candidates = 0
        for group in places {
            let count = Int((sparsity * Double(group.count)).rounded(.down))
            let ranked = group.sorted { (magnitude($0), $0) < (magnitude($1), $1) }
            for p in ranked.prefix(count) {
                if magnitude(p) != 0 { pruned += 1 }
                if let j = p.column { layers[p.layer].weights[p.row][j] = 0 } else { layers[p.layer].biases[p.row] = 0 }
            }
            candidates += group.count
        }
        for group in places {
            zeros += group.filter { p in
                p.column.map { layers[p.layer].weights[p.row][$0] == 0 } ?? (layers[p.layer].biases[p.row] == 0)
            }.count
        }
        return Outcome(network: try network.withLayers(layers), zeros: zeros, candidates: candidates, pruned: pruned)
    }

    /// Whether `grid` is a usable sparsity grid: not empty, strictly increasing, within [0, 1].
    public static func isSparsityGrid(_ grid: [Double]) -> Bool {
        !grid.isEmpty && zip(grid, grid.dropFirst()).allSatisfy { $0 < $1 } && grid.allSatisfy { (0...1).contains($0) }
    }

    /// For example `magnitude pruning to 50 % of the weights, globally`.
    public var description: String {
        let percent = (sparsity * 1000).rounded() / 10
        return "magnitude pruning to \(percent) % of the weights\(includesBiases ? " and biases" : ""), \(perLayer ? "per layer" : "globally")"
    }
}
