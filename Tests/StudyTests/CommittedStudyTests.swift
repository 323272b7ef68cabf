import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
@testable import Study
import Testing

/// The repository's root, found from this file.
private let root = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

@Suite("The committed study results")
struct CommittedStudyTests {
    /// The README's command: `study activations Examples/zoo --bits 2,4,6,8,10,12 --timeout-per-query 2`.
    let configuration = StudyConfiguration(bits: [2, 4, 6, 8, 10, 12], timeLimitPerQuery: 2)

    @Test("docs/study/summary.md and the README's tables are what the README's command prints")
    func tablesMatchTheCommand() async throws {
        let zoo = try Zoo.load(directory: "\(root)/Examples/zoo")
        let committed = "\(root)/docs/study/results.jsonl"
        // Every zoo network has a record made with these settings (other settings
        // throw), so the run below only resumes instead of solving for half an hour.
        let done = try ActivationStudy.finishedRecords(committed, settings: ActivationStudy.signature(configuration))
        let missing = zoo.entries.filter { done[$0.file]?.entry != $0 }
        guard missing.isEmpty else {
            Issue.record("docs/study/results.jsonl has no record of \(missing.map(\.file)); re-run the README's command")
            return
        }

        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("qrobust-results-\(UUID().uuidString).jsonl").path
        try FileManager.default.copyItem(atPath: committed, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let resumed = try await ActivationStudy.run(zoo: zoo, configuration: configuration, resultsFile: copy)
        #expect(resumed.count == zoo.entries.count)

        let report = StudySummary(records: resumed).report(configuration)
        #expect(try String(contentsOfFile: "\(root)/docs/study/summary.md", encoding: .utf8) == report + "\n")
        // The README shows the same tables one heading level down.
        let readme = try String(contentsOfFile: "\(root)/README.md", encoding: .utf8)
        let showsTables = readme.contains(report.replacingOccurrences(of: "## ", with: "#### "))
        let showsCommand = readme.contains("study activations Examples/zoo --bits 2,4,6,8,10,12 --timeout-per-query 2 --out docs/study")
        #expect(showsTables, "the README's study tables differ from what the command prints (docs/study/summary.md)")
        #expect(showsCommand, "the README does not show the command behind docs/study")
    }

    @Test("docs/study/schemes.md and the README's scheme table are what the README's command prints")
    func schemeTableMatchesTheCommand() async throws {
        // The README's command: `study schemes Examples/zoo --bits 8 --timeout-per-query 1`.
        let configuration = StudyConfiguration(bits: [8], timeLimitPerQuery: 1)
        let zoo = try Zoo.load(directory: "\(root)/Examples/zoo")
        let committed = "\(root)/docs/study/schemes.jsonl"
        let done = try ResultsFile.finished(SchemeRecord.self, committed, settings: SchemeStudy.signature(configuration, bits: 8))
        let missing = zoo.entries.filter { done[$0.file]?.entry != $0 }
        guard missing.isEmpty else {
            Issue.record("docs/study/schemes.jsonl has no record of \(missing.map(\.file)); re-run the README's command")
            return
        }
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("qrobust-schemes-\(UUID().uuidString).jsonl").path
        try FileManager.default.copyItem(atPath: committed, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let records = try await SchemeStudy.run(zoo: zoo, configuration: configuration, resultsFile: copy)
        #expect(records.count == zoo.entries.count)
        let table = SchemeStudy.table(records, bits: 8)
        #expect(try String(contentsOfFile: "\(root)/docs/study/schemes.md", encoding: .utf8) == table + "\n")
        let readme = try String(contentsOfFile: "\(root)/README.md", encoding: .utf8)
        #expect(readme.contains(table), "the README's scheme table differs from docs/study/schemes.md")
        #expect(readme.contains("study schemes Examples/zoo --bits 8 --timeout-per-query 1 --out docs/study"))
    }

    /// The image network of the README's pruning command.
    static let mnist = "\(root)/../shared/networks/mnist/mnist_relu_3_100.nnet"

    @Test("docs/study/pruning.md and the README's pruning tables are what the README's command prints",
          .enabled(if: FileManager.default.fileExists(atPath: mnist), "needs ../shared/networks/mnist"))
    func pruningTablesMatchTheCommand() async throws {
        // The README's command: `study pruning Examples/zoo --image-network …/mnist_relu_3_100.nnet
        // --images Examples/mnist/mnist-100.csv --label-column label --input-scale 1/255` (defaults otherwise).
        let configuration = PruningStudyConfiguration()
        let zoo = try Zoo.load(directory: "\(root)/Examples/zoo")
        let images = try InputTable(contentsOf: "\(root)/Examples/mnist/mnist-100.csv", labelColumn: "label", scale: Rational(1, 255))
        let subjects = try PruningStudy.subjects(of: zoo, configuration: configuration, timeLimit: 1)
            + PruningStudy.subjects(imageNetwork: try NetworkFile.load(Self.mnist), named: "mnist_relu_3_100.nnet",
                                    images: images.rows.map(\.input), balls: 2, radius: Rational(1, 100), timeLimit: 10)
        let committed = "\(root)/docs/study/pruning.jsonl"
        let done = try ResultsFile.finished(PruningRecord.self, committed, settings: configuration.signature)
        let missing = subjects.filter { done[$0.key] == nil }
        guard missing.isEmpty else {
            Issue.record("docs/study/pruning.jsonl has no record of \(missing.map(\.key)); re-run the README's command")
            return
        }
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("qrobust-pruning-\(UUID().uuidString).jsonl").path
        try FileManager.default.copyItem(atPath: committed, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let records = try await PruningStudy.run(subjects, configuration: configuration, resultsFile: copy)
        // Soundness at every size the study reaches (2, 13, 30 and 784 inputs): no sampled deviation,
        // replayed exactly, lies above the certified upper end of the same pruned network.
        for record in records {
            for point in record.magnitude + record.coreset {
                #expect(point.sampled <= point.certified.upper && point.certified.lower <= point.certified.upper,
                        "\(record.key) at \(point.target): sampled \(point.sampled), certified \(point.certified)")
            }
        }
        let report = PruningStudy.report(records)
        #expect(try String(contentsOfFile: "\(root)/docs/study/pruning.md", encoding: .utf8) == report + "\n")
        let readme = try String(contentsOfFile: "\(root)/README.md", encoding: .utf8)
        #expect(readme.contains(PruningStudy.table(records)), "the README's pruning table differs from docs/study/pruning.md")
        #expect(readme.contains(PruningStudy.confidentTable(records)), "the README's confident-pruning table differs from docs/study/pruning.md")
        #expect(readme.contains("--images Examples/mnist/mnist-100.csv --label-column label --input-scale 1/255 --out docs/study"))
    }
}
