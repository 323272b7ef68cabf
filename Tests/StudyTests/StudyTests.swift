import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
@testable import Study
import Testing
import TestSupport

/// A zoo of four 2-4-1 networks (ReLU and linear, two seeds) in a temporary folder.
func tinyZoo() throws -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qrobust-zoo-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var entries: [[String: Any]] = []
    for seed: UInt64 in [1, 2] {
        for (activation, hidden) in [("relu", Activation.relu), ("linear", Activation.identity)] {
            let network = TestNetworks.random(sizes: [2, 4, 1], hidden: hidden, output: .sigmoid, seed: seed)
            let file = "tiny-\(activation)-4-s\(seed).json"
            try NetworkFile.write(network, to: "\(folder)/\(file)")
            entries.append(["file": file, "dataset": "tiny", "activation": activation, "hidden": [4], "seed": Int(seed), "inputs": 2,
                            "trainAccuracy": 0.9, "testAccuracy": 0.8 + 0.1 * Double(seed),
                            "nearBoundary": [[0.5, 0.5]], "farFromBoundary": [[0.0, 1.0]]])
        }
    }
    let manifest: [String: Any] = ["inputBox": [0, 1], "networks": entries]
    try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: "\(folder)/zoo.json"))
    return folder
}

func sigmoid(_ z: Double) -> Double { 1 / (1 + exp(-z)) }

/// max over a (steps + 1)² grid of [0, 1]² of |σ(z') − σ(z)| between two 2-input networks
/// (a lower bound of the true maximum).
func gridMaximum(_ f: Network, _ g: Network, steps: Int = 100) -> Double {
    var best = 0.0
    for i in 0...steps {
        for j in 0...steps {
            let x = [Double(i) / Double(steps), Double(j) / Double(steps)]
            best = max(best, abs(sigmoid(g.logits(at: x)[0]) - sigmoid(f.logits(at: x)[0])))
        }
    }
    return best
}

@Suite("Activation study", .serialized)
struct StudyTests {
    @Test("quartiles, worked by hand")
    func statistics() throws {
        let q = try #require(StudySummary.quartiles([4, 1, 3, 2, 5]))
        #expect(q.q1 == 2 && q.median == 3 && q.q3 == 4)
        #expect(StudySummary.quartiles([1, 2])?.median == 1.5)
    }

    @Test("every interval lies above a brute-force grid, witnesses replay, and a second run resumes")
    func studyAgainstGrid() async throws {
        let folder = try tinyZoo()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let zoo = try Zoo.load(directory: folder)
        let configuration = StudyConfiguration(bits: [2, 5], taus: [Rational(1, 20), Rational(1, 2)], localBits: 5,
                                               timeLimitPerQuery: 3, tolerance: Rational(1, 1000), jobs: 1)
        let results = "\(folder)/results.jsonl"
        let records = try await ActivationStudy.run(zoo: zoo, configuration: configuration, resultsFile: results)
        #expect(records.count == 4)
        for record in records {
            let network = try zoo.network(record.entry)
            for (concrete, set) in zip(record.rounding, record.perturbation) {
                let grid = gridMaximum(network, try FixedPoint(fractionalBits: concrete.bits).apply(to: network))
                // The rounded network lies in the perturbation set, so both bounds cover its grid maximum.
                #expect(grid <= concrete.deviation.upper + 1e-12 && grid <= set.deviation.upper + 1e-12)
                #expect(concrete.deviation.upper <= set.deviation.upper + 1e-3)
                #expect(concrete.deviation.reason != nil || concrete.deviation.width <= 1e-3 + 1e-12)
                #expect(concrete.deviation.lower <= concrete.deviation.upper && set.deviation.lower <= set.deviation.upper)
                if let w = concrete.witness {
                    let rounded = try FixedPoint(fractionalBits: concrete.bits).apply(to: network)
                    let replay = abs(sigmoid(rounded.logits(at: w)[0]) - sigmoid(network.logits(at: w)[0]))
                    #expect(abs(replay - concrete.deviation.lower) < 1e-9)
                }
            }
            // Fewest bits: the smallest grid width from which every upper end is ≤ τ.
            for entry in record.fewestBits {
                let upper2 = record.rounding[0].deviation.upper, upper5 = record.rounding[1].deviation.upper
                let expected: Int? = upper5 <= entry.tau ? (upper2 <= entry.tau ? 2 : 5) : nil
                #expect(entry.rounding == expected, "\(record.entry.file) τ \(entry.tau)")
            }
            let rounded = try FixedPoint(fractionalBits: 5).apply(to: network)
            for point in record.local {
                let concrete = abs(sigmoid(rounded.logits(at: point.input)[0]) - sigmoid(network.logits(at: point.input)[0]))
                #expect(concrete <= point.deviation.upper + 1e-12)
            }
        }
        // Resuming reads every record back instead of recomputing it.
        let resumed = Resumed()
        let again = try await ActivationStudy.run(zoo: zoo, configuration: configuration, resultsFile: results) { _, _, _, fromFile in
            resumed.add(fromFile)
        }
        #expect(again == records && resumed.all)
        // Other settings do not mix with these results.
        var other = configuration
        other.bits = [3]
        await #expect(throws: StudyError.self) {
            _ = try await ActivationStudy.run(zoo: zoo, configuration: other, resultsFile: results)
        }
        let summary = StudySummary(records: records)
        #expect(summary.groupTable.contains("| tiny | relu | 2 |") && summary.groupTable.contains("| tiny | linear | 2 |"))
        #expect(summary.winTable.contains("| rounding | 2 | 2 |") && summary.csv.split(separator: "\n").count == 1 + 4 * 2 * 2)
    }

    @Test("the scheme study: each scheme's bounds lie above a grid of its rounded network, rounded ≤ set, and a second run resumes")
    func schemesAgainstGrid() async throws {
        let folder = try tinyZoo()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let zoo = try Zoo.load(directory: folder)
        let configuration = StudyConfiguration(bits: [4], timeLimitPerQuery: 3, tolerance: Rational(1, 1000), jobs: 1)
        let results = "\(folder)/schemes.jsonl"
        let records = try await SchemeStudy.run(zoo: zoo, configuration: configuration, resultsFile: results)
        #expect(records.count == 4)
        for record in records {
            let network = try zoo.network(record.entry)
            #expect(record.schemes.map(\.scheme) == StudyScheme.allCases)
            for point in record.schemes {
                let rounded = try point.scheme.compress(network, bits: 4).rounded
                var grid = 0.0
                for i in 0...60 {
                    for j in 0...60 {
                        let x = [Double(i) / 60, Double(j) / 60]
                        grid = max(grid, abs(sigmoid(rounded.logits(at: x)[0]) - sigmoid(network.logits(at: x)[0])))
                    }
                }
                #expect(grid <= point.rounding.upper + 1e-12 && grid <= point.perturbation.upper + 1e-12,
                        "\(record.entry.file), \(point.scheme): grid \(grid)")
                #expect(point.rounding.upper <= point.perturbation.upper + 1e-3)
            }
        }
        let resumed = Resumed()
        let again = try await SchemeStudy.run(zoo: zoo, configuration: configuration, resultsFile: results) { _, _, _, fromFile in
            resumed.add(fromFile)
        }
        #expect(again == records && resumed.all)
        let table = SchemeStudy.table(records, bits: 4)
        #expect(table.contains("| relu | int4 per channel | 2 |") && table.contains("| linear | float16 | 2 |"))
        #expect(SchemeStudy.svg(records, bits: 4).contains("<circle"))
        var twoWidths = configuration
        twoWidths.bits = [4, 8]
        await #expect(throws: StudyError.self) {
            _ = try await SchemeStudy.run(zoo: zoo, configuration: twoWidths, resultsFile: "\(folder)/other.jsonl")
        }
    }

    @Test("a missing or malformed zoo is one clear error")
    func badZoo() throws {
        #expect(throws: StudyError.self) { try Zoo.load(directory: "/no/such/zoo") }
        let folder = try tinyZoo()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("{\"networks\": []}".utf8).write(to: URL(fileURLWithPath: "\(folder)/zoo.json"))
        #expect(throws: StudyError.self) { try Zoo.load(directory: folder) }
    }
}

/// Collects the progress callback's "read from the results file" flags.
final class Resumed: @unchecked Sendable {
    private let lock = NSLock()
    private var flags: [Bool] = []
    func add(_ flag: Bool) { lock.withLock { flags.append(flag) } }
    var all: Bool { lock.withLock { !flags.isEmpty && flags.allSatisfy { $0 } } }
}
