import Testing
@testable import Queries

@Suite("Shards")
struct ShardTests {
    @Test("i/n reads as shard i of n; anything else is refused with the reason")
    func parsing() throws {
        let shard = try Shard(parsing: "2/5")
        #expect(shard.index == 2 && shard.count == 5 && shard.description == "2/5")
        for bad in ["5/5", "-1/4", "1/0", "1", "a/b", "1/2/3", "", "1/", "/4", "0/100001"] {
            #expect(throws: QueryError.self, "'\(bad)'") { try Shard(parsing: bad) }
        }
    }

    @Test("every position belongs to exactly one shard, dealt out in turn")
    func positionsPartition() throws {
        for count in 1...7 {
            let shards = try (0..<count).map { try Shard(index: $0, count: count) }
            let all = shards.flatMap { $0.positions(among: 23) }
            #expect(all.sorted() == Array(0..<23))
            for shard in shards {
                #expect(shard.positions(among: 23).allSatisfy(shard.owns(position:)))
            }
        }
    }

    @Test("weighted parts: each owned once, heaviest first to the least loaded shard (hand-worked)")
    func assignment() {
        // Weights 5, 1, 4, 3, 3 on 2 shards: 5→0, 4→1, 3 (part 3)→1 (4 < 5), 3 (part 4)→0 (5 < 7),
        // 1→1 (7 < 8): 8 each.
        #expect(Shard.assign(weights: [5, 1, 4, 3, 3], count: 2) == [0, 1, 1, 1, 0])
        // More shards than parts: every part to a shard of its own.
        #expect(Set(Shard.assign(weights: [1, 1, 1], count: 5)).count == 3)
        // The same input gives the same answer (ties go to the lower index).
        #expect(Shard.assign(weights: [2, 2, 2, 2], count: 2) == [0, 1, 0, 1])
    }
}
