import Bounds
import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Testing
import TestSupport
@testable import SDPBounds

/// The layer decomposition of the LMI (``LMIDecomposition/layers``): every
/// constraint lies in one block, the blocks with their transfers add up to the
/// one-block matrix exactly, and the bound is the one-block bound (equal in
/// exact arithmetic; CSDP's answers differ by its accuracy), above every sampled error.
@Suite(.serialized) struct LayerBlocksTests {
    static let box = [Interval(-1, 1), Interval(-1, 1)]

    /// A 2-6-6-6-1 pair (three hidden layers, so three blocks) and its 4-bit rounding.
    static func pair(hidden: Activation = .relu, seed: UInt64 = 21) throws -> (Network, Network) {
        let f = TestNetworks.random(sizes: [2, 6, 6, 6, 1], hidden: hidden, output: .logits, seed: seed)
        return (f, try FixedPoint(fractionalBits: 4).apply(to: f))
    }

    /// The layered encoding of ``pair(hidden:seed:)`` over the unit box, and its blocks.
    static func layered(pairs: NeuronPairs) throws -> (PairEncoding, LayerCliques) {
        let (f, g) = try pair()
        let encoding = try encoding(SDPQuery(original: f, compressed: g, region: SDPTrustTests.unitBox, pairs: pairs,
                                             decomposition: .layers, boxes: 1))
        return (encoding, try #require(encoding.cliques))
    }

    static func encoding(_ query: SDPQuery) throws -> PairEncoding {
        let ranges = SDPErrorBound.boundsModuleRanges(query, box: box, analysis: SDPErrorBound.differentialAnalysis(query))
        return try SDPErrorBound.encode(query, box: box, ranges: ranges)
    }

    @Test("blocks: ζ₀ in all, each coordinate in one block or two consecutive ones, every entry in a block holding both its coordinates, one transfer per separator entry")
    func blocksCoverEveryConstraint() throws {
        let (encoding, cliques) = try Self.layered(pairs: .layer)
        #expect(cliques.members.count == 3)
        #expect(cliques.members.allSatisfy { $0.first == 0 })
        // Every coordinate is in one block or two consecutive ones (a chain of cliques: a clique tree).
        for i in 1..<encoding.dimension {
            let holding = cliques.members.indices.filter { cliques.members[$0].contains(i) }
            #expect(holding.count == 1 || (holding.count == 2 && holding[1] == holding[0] + 1), "coordinate \(i): \(holding)")
        }
        for q in encoding.constraints {
            for e in q.entries {
                let k = try cliques.block(row: e.row, column: e.column)
                #expect(cliques.members[k].contains(e.row) && cliques.members[k].contains(e.column))
            }
        }
        #expect(cliques.transferCount == cliques.separators.reduce(0) { $0 + $1.count * ($1.count + 1) / 2 })
        #expect(encoding.cost.blockOrders == cliques.members.map(\.count))
        #expect(encoding.cost.constraints == encoding.constraints.count + cliques.transferCount)
        #expect(encoding.cost.entries == encoding.constraints.reduce(0) { $0 + $1.entries.count } + 2 * cliques.transferCount)
        let problem = try SDPErrorBound.sdp(encoding, objective: [])
        try problem.validate()
        #expect(problem.constraints.count == 1 + encoding.constraints.count + cliques.transferCount)
    }

    @Test("the blocks of −M(y), scattered back, are the one-block −M(y) for any y: the transfers cancel")
    func blocksAddUpToTheWholeMatrix() throws {
        let (encoding, cliques) = try Self.layered(pairs: .diagonal)
        var rng = SeededGenerator(seed: 4)
        let objective = [(0, encoding.dimension - 1, Interval(0.5)), (encoding.dimension - 1, encoding.dimension - 1, Interval(-2))]
        let y = (0..<(1 + encoding.constraints.count + cliques.transferCount)).map { _ in Double.random(in: -2...2, using: &rng) }
        let blocks = try SDPErrorBound.negatedM(encoding, objective: objective, y: y)
        #expect(blocks.count == cliques.members.count)
        var scattered = IntervalMatrix(order: encoding.dimension)
        for (k, block) in blocks.enumerated() {
            let members = cliques.members[k]
            for a in members.indices {
                for b in a..<members.count { scattered.add(members[a], members[b], block[a, b]) }
            }
        }
        // The same matrix on one block, entry by entry from the constraints.
        var whole = IntervalMatrix(order: encoding.dimension)
        whole.add(0, 0, Interval(y[0]))
        for (r, c, v) in objective { whole.add(r, c, -v) }
        for (q, m) in zip(encoding.constraints, y.dropFirst()) {
            let weight = q.kind == .nonnegative ? max(m, 0) : m
            for e in q.entries { whole.add(e.row, e.column, -e.value.scaled(by: weight)) }
        }
        var transfersSeen = false
        for i in 0..<encoding.dimension {
            for j in 0..<encoding.dimension {
                let (s, w) = (scattered[i, j], whole[i, j])
                // Equal up to the rounding of the (cancelling) transfers.
                #expect(abs(s.midpoint - w.midpoint) <= 1e-12 * max(1, w.magnitude), "(\(i), \(j)): \(s) against \(w)")
                #expect(s.lower <= w.upper + 1e-12 && w.lower <= s.upper + 1e-12)
                if i != 0, cliques.separators.contains(where: { $0.contains(i) && $0.contains(j) }) { transfersSeen = true }
            }
        }
        #expect(transfersSeen, "no separator entry: the case checks no transfer")
    }

    @Test("layer blocks give the one-block bound (within CSDP's accuracy) and stay above every sampled error",
          arguments: [(Activation.relu, NeuronPairs.diagonal, UInt64(21)), (.relu, .layer, 22), (.identity, .diagonal, 23)])
    func layerBlocksBoundAsOneBlock(_ hidden: Activation, _ pairs: NeuronPairs, _ seed: UInt64) throws {
        let (f, g) = try Self.pair(hidden: hidden, seed: seed)
        var query = SDPQuery(original: f, compressed: g, region: SDPTrustTests.unitBox, pairs: pairs,
                             decomposition: .none, boxes: 1)
        let one = try SDPErrorBound.compute(query).squaredNorm
        query.decomposition = .layers
        let layered = try SDPErrorBound.compute(query).squaredNorm
        #expect(one.wholeBox.decomposition == LMIDecomposition.none && layered.wholeBox.decomposition == .layers)
        #expect(!layered.wholeBox.uncertified)
        let (a, b) = (try #require(layered.wholeBox.solverValue), try #require(one.wholeBox.solverValue))
        #expect(abs(a - b) <= 0.05 * b, "CSDP's optimum \(a) with layer blocks against \(b) with one")
        if hidden == .relu {
            // Not the Bounds module's bound: the SDP did the work (with identity layers that bound is exact).
            #expect(layered.certified < layered.wholeBox.intervalBound)
        }
        var rng = SeededGenerator(seed: seed)
        var largest = Rational.zero
        for _ in 0..<3_000 {
            let x = [Double.random(in: -1...1, using: &rng), Double.random(in: -1...1, using: &rng)].map { Rational(exactly: $0)! }
            let d = g.exactLogits(at: x)[0] - f.exactLogits(at: x)[0]
            largest = max(largest, d * d)
        }
        #expect(largest.isPositive && largest <= Rational(exactly: layered.certified)!)
    }

    @Test("layer blocks refuse full pairs and networks of unequal depth, with one clear error")
    func layerBlocksRefusals() throws {
        let (f, g) = try Self.pair()
        #expect(throws: QueryError.self) {
            _ = try SDPErrorBound.compute(SDPQuery(original: f, compressed: g, region: SDPTrustTests.unitBox, pairs: .full,
                                                   decomposition: .layers, boxes: 1))
        }
        let shallow = try FixedPoint(fractionalBits: 4).apply(to: TestNetworks.random(sizes: [2, 6, 1], hidden: .relu, output: .logits, seed: 3))
        #expect(throws: QueryError.self) {
            _ = try SDPErrorBound.compute(SDPQuery(original: f, compressed: shallow, region: SDPTrustTests.unitBox, pairs: .diagonal,
                                                   decomposition: .layers, boxes: 1))
        }
        // The default is one block.
        let encoding = try Self.encoding(SDPQuery(original: f, compressed: g, region: SDPTrustTests.unitBox, boxes: 1))
        #expect(encoding.cliques == nil && encoding.cost.blockOrders == [encoding.dimension])
    }

    @Test("diagonal pairs include a stable ReLU whose partner is unstable, and the bound stays above every sampled error")
    func diagonalPairsWithAStablePartner() throws {
        // g's hidden neuron 1 is always 0 (incoming weights zeroed, negative bias); f's is unstable on the box.
        let f = try Network(inputSize: 2, layers: [
            DenseLayer(weights: [[1, 0], [0.5, -1]], biases: [0, 0.1], activation: .relu),
            DenseLayer(weights: [[1, -1]], biases: [0], activation: .identity),
        ])
        let g = try f.withLayers([
            DenseLayer(weights: [[0, 0], [0.5, -1]], biases: [-0.25, 0.1], activation: .relu),
            f.layers[1],
        ])
        let query = SDPQuery(original: f, compressed: g, region: SDPTrustTests.unitBox, pairs: .diagonal,
                             decomposition: .none, boxes: 1)
        let encoding = try Self.encoding(query)
        // Neuron 2 is unstable in both; neuron 1 only in f: two diagonal pairs.
        #expect(encoding.unstableCount == 3 && encoding.pairConstraintCount == 2)
        let bound = try SDPErrorBound.compute(query).squaredNorm.certified
        var largest = Rational.zero
        for i in 0...40 {
            for j in 0...40 {
                let x = [Rational(i - 20, 20), Rational(j - 20, 20)]
                let d = g.exactLogits(at: x)[0] - f.exactLogits(at: x)[0]
                largest = max(largest, d * d)
            }
        }
        // The grid holds the maximum here: d = −relu(x₁) and |d|² ≤ 1, reached at x₁ = 1.
        #expect(largest == Rational(1))
        #expect(Rational(exactly: bound)! >= largest && bound <= 1.01, "\(bound)")
    }
}
