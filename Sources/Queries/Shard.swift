/// One part of a question split across processes or machines (`--shard i/n`):
/// shard `index` of `count`, numbered from 0 as Slurm's `SLURM_ARRAY_TASK_ID`
/// and Kubernetes' `JOB_COMPLETION_INDEX` are.
///
/// The partition is a pure function of the index, the count and the
/// question, so every shard computes its own part alone, a shard run again
/// does the same work, and a merge can tell whether every part was answered.
public struct Shard: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// 0-based, below ``count``.
    public let index: Int
    public let count: Int

    /// The largest number of shards a question can be split into.
    public static let maximumCount = 100_000

    /// - Throws: ``QueryError`` unless `0 ≤ index < count ≤ maximumCount`.
    public init(index: Int, count: Int) throws {
        guard (1...Self.maximumCount).contains(count) else {
            throw QueryError("the number of shards must be between 1 and \(Self.maximumCount), found \(count)")
        }
        guard (0..<count).contains(index) else {
            throw QueryError("shard \(index) does not exist: with \(count) shards they are numbered 0 to \(count - 1)")
        }
        self.index = index
        self.count = count
    }

    /// Reads `i/n`, as written after `--shard`.
    /// - Throws: ``QueryError`` naming what is wrong with the text.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw QueryError("a shard is written i/n (shard i of n, i from 0 to n − 1), found '\(text)'")
        }
        try self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }

    /// Whether the item at this 0-based position (a row of an inputs file)
    /// belongs to this shard. Rows are dealt out in turn (row r to shard
    /// r mod n), so that files sorted by difficulty or class still give every
    /// shard a similar mix.
    public func owns(position: Int) -> Bool {
        position % count == index
    }

    /// The positions among `total` items that belong to this shard, in order.
    public func positions(among total: Int) -> [Int] {
        Array(stride(from: index, to: total, by: count))
    }

    /// Deals weighted parts out to `count` shards, heaviest first, each to
    /// the shard with the least weight so far (ties to the lowest index):
    /// the longest-processing-time rule, deterministic for equal inputs.
    /// - Returns: for each part, the shard that owns it.
    public static func assign(weights: [Double], count: Int) -> [Int] {
        let order = weights.indices.sorted { a, b in
            weights[a] != weights[b] ? weights[a] > weights[b] : a < b
        }
        var load = [Double](repeating: 0, count: count)
        var owner = [Int](repeating: 0, count: weights.count)
        for part in order {
            var lightest = 0
            for shard in 1..<max(count, 1) where load[shard] < load[lightest] { lightest = shard }
            owner[part] = lightest
            load[lightest] += weights[part]
        }
        return owner
    }
}
