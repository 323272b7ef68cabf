import ExactArithmetic
import Foundation
import Queries
@testable import Study
import Testing

@Suite("Studies in shards", .serialized)
struct ShardedStudyTests {
    @Test("each shard studies its own networks into its own file; the unsharded run then merges them without studying again")
    func shardsThenMerge() async throws {
        let folder = try tinyZoo()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let zoo = try Zoo.load(directory: folder)
        let configuration = StudyConfiguration(bits: [8], timeLimitPerQuery: 3, tolerance: Rational(1, 1000), jobs: 1)
        let results = "\(folder)/schemes.jsonl"
        var studied: [String] = []
        for index in 0..<3 {
            let shard = try Shard(index: index, count: 3)
            let records = try await SchemeStudy.run(zoo: zoo, configuration: configuration, resultsFile: results, shard: shard)
            // Networks index, index + 3, … of the zoo, in its order.
            #expect(records.map(\.entry.file) == shard.positions(among: zoo.entries.count).map { zoo.entries[$0].file })
            #expect(FileManager.default.fileExists(atPath: ResultsFile.shardPath(results, shard)))
            studied += records.map(\.entry.file)
        }
        #expect(studied.sorted() == zoo.entries.map(\.file).sorted())
        #expect(!FileManager.default.fileExists(atPath: results))
        let resumed = Resumed()
        let merged = try await SchemeStudy.run(zoo: zoo, configuration: configuration, resultsFile: results) { _, _, _, fromFile in
            resumed.add(fromFile)
        }
        #expect(resumed.all && merged.map(\.entry.file) == zoo.entries.map(\.file))
        #expect(ResultsFile.shardPath(results, try Shard(index: 2, count: 3)) == "\(folder)/schemes.shard-2-of-3.jsonl")
    }
}
