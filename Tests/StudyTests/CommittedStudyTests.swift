import ExactArithmetic
import Foundation
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
}
