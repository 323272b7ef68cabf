import Bounds
import Compression
import ExactArithmetic
import NeuralNetwork
@testable import Robustness
import Testing
import TestSupport

@Suite("Search settings")
struct SearchSettingsTests {
    /// A deep box (past every depth rule) of a query over [-1, 1]^n, and its bounds.
    static func deepBox(_ query: GlobalQuery) -> (OpenBox, PairBounds) {
        let box = Array(repeating: Interval(-1, 1), count: query.network.inputSize)
        let compared: ComparedParameters
        switch query.compression {
        case .concrete(let g): compared = .concrete(g)
        case .perturbation(let set): compared = .perturbation(PerturbationRadii(network: query.network, set: set))
        case .quantized(let g): compared = .quantized(g)
        }
        let bounds = DifferentialAnalysis(original: query.network, compared: compared).bounds(over: box)
        return (OpenBox(box: box, upper: 1, depth: 1000, splitDimension: 0), bounds)
    }

    @Test("the ReLU branch and bound is offered only to pairs its LP encodes (ReLU hidden layers)")
    func branchAndBoundNeedsReLUs() throws {
        // A linear network's perturbation set once went to the branch and bound box after box:
        // PairLP cannot be built for it, each attempt counted as an engine that failed, and the
        // engine share then held Z3 back (2-D activation-study networks: 2 s to over 30 s).
        let relu = TestNetworks.random(sizes: [2, 6, 6, 1], hidden: .relu, output: .sigmoid, seed: 3)
        let linear = TestNetworks.linearTwin(of: relu)
        let set = try FixedPoint(fractionalBits: 4).perturbationSet
        let region = GlobalTests.region([-1...1, -1...1])
        for (network, offered) in [(relu, true), (linear, false)] {
            let query = GlobalQuery(network: network, compression: .perturbation(set), region: region)
            let (box, bounds) = Self.deepBox(query)
            #expect(SearchSettings(query).branchesOnReLUs(box, bounds) == offered)
            #expect(SearchSettings(query).solvesExactly(box, bounds), "Z3 still takes the box")
        }
        // Concrete pairs from 8 inputs: a linear compared network rules the LP out too.
        let wide = TestNetworks.random(sizes: [8, 4, 1], hidden: .relu, output: .sigmoid, seed: 4)
        let wideRegion = GlobalTests.region(Array(repeating: -1...1, count: 8))
        for (g, offered) in [(try FixedPoint(fractionalBits: 3).apply(to: wide), true), (TestNetworks.linearTwin(of: wide), false)] {
            let query = GlobalQuery(network: wide, compression: .concrete(g), region: wideRegion)
            let (box, bounds) = Self.deepBox(query)
            #expect(SearchSettings(query).branchesOnReLUs(box, bounds) == offered)
        }
    }
}
