import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
@testable import Study
import Testing
import TestSupport

@Suite("Pruning study", .serialized)
struct PruningStudyTests {
    @Test("certified upper ends lie above a brute-force grid and the samples, confident pruning's choice holds out, and a second run resumes")
    func pruningAgainstGrid() async throws {
        let folder = try tinyZoo()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let zoo = try Zoo.load(directory: folder)
        let configuration = PruningStudyConfiguration(sparsities: [0.25, 0.5, 0.75], alphas: [Rational(1, 10), Rational(3, 10)],
                                                      calibrationSize: 400, samples: 200, seed: 3, jobs: 1)
        let subjects = try PruningStudy.subjects(of: zoo, configuration: configuration, timeLimit: 3)
        let results = "\(folder)/pruning.jsonl"
        let records = try await PruningStudy.run(subjects, configuration: configuration, resultsFile: results)
        #expect(records.map(\.key) == zoo.entries.map(\.file))
        for (record, subject) in zip(records, subjects) {
            let network = subject.network
            let bounds = CoresetPruning.activationBounds(of: network, over: subject.region)
            for (i, s) in configuration.sparsities.enumerated() {
                let magnitude = try MagnitudePruning(sparsity: s).apply(to: network)
                let (sampler, coreset) = try PruningStudy.coreset(network, sparsity: s, bounds: bounds, seed: configuration.seed)
                for (point, pruned, name) in [(record.magnitude[i], magnitude.network, "magnitude"), (record.coreset[i], coreset.network, "coreset")] {
                    let grid = gridMaximum(network, pruned, steps: 60)
                    #expect(point.target == s && point.certified.reason == nil)
                    #expect(grid <= point.certified.upper + 1e-12, "\(record.key), \(name) at \(s): grid \(grid) above \(point.certified.upper)")
                    #expect(point.sampled <= point.certified.upper && point.certified.lower <= point.certified.upper,
                            "\(record.key), \(name) at \(s): sampled \(point.sampled), certified \(point.certified)")
                    #expect(point.certified.width <= 1e-3 + 1e-12, "\(record.key), \(name) at \(s): \(point.certified)")
                }
                #expect(record.magnitude[i].reached == magnitude.reached && record.magnitude[i].theoretical == nil)
                let stored = coreset.network.layers.reduce(0) { $0 + $1.weights.joined().filter { $0 != 0 }.count }
                let weights = network.layers.reduce(0) { $0 + $1.inputSize * $1.outputSize }
                #expect(abs(record.coreset[i].reached - (1 - Double(stored) / Double(weights))) < 1e-12)
                #expect(record.coreset[i].theoretical == sampler.logitErrorBound(of: coreset, original: network, confidence: 0.05) / 4)
            }
            for point in record.confident {
                if let chosen = point.chosen {
                    let risk = try #require(point.heldOutRisk)
                    // With probability ≥ 1 − δ = 0.9 the risk is ≤ α; the held-out estimate on 400
                    // points adds sampling error, so the check allows 3 standard errors. (Seeded, so
                    // deterministic; LearnThenTestTests checks the guarantee's rate over 200 splits.)
                    #expect(risk <= point.alpha + 3 * (point.alpha * (1 - point.alpha) / 400).squareRoot(),
                            "\(record.key): sparsity \(chosen) at α \(point.alpha) disagrees on \(risk) of held-out points")
                }
            }
            #expect(record.confident.map(\.alpha) == [0.1, 0.3])
            let looser = record.confident.map { $0.chosen ?? 0 }
            #expect(looser[0] <= looser[1], "a larger α never certifies less")
        }
        let resumed = Resumed()
        let again = try await PruningStudy.run(subjects, configuration: configuration, resultsFile: results) { _, _, _, fromFile in
            resumed.add(fromFile)
        }
        #expect(again == records && resumed.all)
        let report = PruningStudy.report(records)
        #expect(report.contains("| zoo, relu (2) | probability | 0.25 |") && report.contains("| zoo, linear (2) | 0.3 |"))
        #expect(PruningStudy.svg(records).contains("<polyline") && PruningStudy.svg(records).contains("α 0.3"))
        var other = configuration
        other.seed = 4
        await #expect(throws: StudyError.self) {
            _ = try await PruningStudy.run(subjects, configuration: other, resultsFile: results)
        }
    }

    @Test("an image network's balls are clipped to [0, 1] and use the logit metric; bad settings are one clear error")
    func imageSubjects() throws {
        let network = TestNetworks.random(sizes: [3, 5, 2], hidden: .relu, output: .softmax, seed: 2)
        let images: [[Rational]] = [[.zero, Rational(1, 2), .one], [Rational(1, 4), Rational(1, 4), Rational(1, 4)]]
        let subjects = try PruningStudy.subjects(imageNetwork: network, named: "net", images: images, balls: 2,
                                                 radius: Rational(1, 10), timeLimit: 5)
        #expect(subjects.map(\.key) == ["net#1", "net#2"] && subjects.allSatisfy { $0.metric == .logit && $0.calibration.count == 2 })
        #expect(subjects[0].region.lower == [.zero, Rational(2, 5), Rational(9, 10)])
        #expect(subjects[0].region.upper == [Rational(1, 10), Rational(3, 5), .one])
        #expect(throws: StudyError.self) {
            try PruningStudy.subjects(imageNetwork: network, named: "net", images: images, balls: 3, radius: Rational(1, 10), timeLimit: 5)
        }
        #expect(throws: StudyError.self) {
            try PruningStudy.subjects(imageNetwork: network, named: "net", images: [[.zero, .one]], balls: 1, radius: Rational(1, 10), timeLimit: 5)
        }
        var bad = PruningStudyConfiguration()
        bad.sparsities = [0.5, 0.2]
        #expect(throws: StudyError.self) { try bad.validate() }
    }
}
