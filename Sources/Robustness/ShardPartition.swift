import Bounds
import Queries

/// Which parts of a global query's box a shard searched, and a digest of the
/// whole partition, so that a merge can prove that the shards' parts are the
/// ones it expects: every part searched by exactly one shard.
public struct ShardParts: Sendable, Equatable, Codable {
    /// How many parts the box was cut into (for every shard together).
    public var total: Int
    /// The 0-based numbers of the parts this shard owns, ascending.
    public var owned: [Int]
    /// FNV-1a (64 bits, hexadecimal) of every part's box and owner: equal digests
    /// mean the same cut, the same bounds and the same assignment.
    public var digest: String

    public init(total: Int, owned: [Int], digest: String) {
        self.total = total
        self.owned = owned
        self.digest = digest
    }
}

/// The deterministic cut of a global query's box into parts for `--shard i/n`.
///
/// The box is split the way the search splits it (largest bound first, along
/// the input the box's bounds chose), until there are ``partsPerShard`` parts
/// per shard or no open part can be split. Each part's estimated work is how
/// far its bound lies above the point where it would close (τ, or the best
/// candidate plus the tolerance); the parts are dealt out heaviest first, each
/// to the shard with the least work so far (``Shard/assign(weights:count:)``).
/// Binary64 arithmetic gives the same cut in every process running the same
/// build, which the merge checks through ``ShardParts/digest``.
struct ShardPartition {
    /// Parts per shard: enough that an unlucky hard part is a small share of one shard's work.
    static let partsPerShard = 4

    /// The parts, in the order they were made.
    private(set) var parts: [OpenBox]
    /// For each part, the shard that owns it.
    private(set) var owners: [Int]
    /// The best candidate seen while cutting (a witness any shard may start from).
    private(set) var best: Candidate

    init(root: OpenBox, candidate: Candidate, bounder: BoxBounder, shards: Int, threshold: Double?, tolerance: Double,
         statistics: inout GlobalStatistics) {
        var parts = [root], best = candidate
        func closes(_ part: OpenBox) -> Bool { part.upper <= (threshold ?? (best.value + tolerance)) }
        while parts.count < shards * Self.partsPerShard {
            // The open part with the largest bound (the first of equals), as the search would take it.
            var chosen: Int?
            for n in parts.indices where !closes(parts[n]) && GlobalRobustness.split(parts[n]) != nil {
                if chosen == nil || parts[n].upper > parts[chosen!].upper { chosen = n }
            }
            guard let chosen, let halves = GlobalRobustness.split(parts[chosen]) else { break }
            let parent = parts[chosen]
            statistics.splits += 1
            let children = halves.map { half in
                var (child, found, _) = bounder.bound(half, depth: parent.depth + 1, known: parent.ranges, statistics: &statistics)
                child.upper = min(child.upper, parent.upper)
                if found.value > best.value { best = found }
                return child
            }
            parts.replaceSubrange(chosen...chosen, with: children)
        }
        let closing = threshold ?? (best.value + tolerance)
        let gaps = parts.map { part in part.upper.isFinite ? max(0, part.upper - closing) : Double.greatestFiniteMagnitude }
        // A part that closes at once still costs its bounds: a floor keeps such parts spread out too.
        let floor = (gaps.max() ?? 0) > 0 ? 1e-3 * gaps.max()! : 1
        self.parts = parts
        self.owners = Shard.assign(weights: gaps.map { $0 + floor }, count: shards)
        self.best = best
    }

    /// The parts shard `index` searches.
    func boxes(of index: Int) -> [OpenBox] {
        parts.indices.filter { owners[$0] == index }.map { parts[$0] }
    }

    /// The parts of `shard` and the digest of the whole cut.
    func parts(of shard: Shard) -> ShardParts {
        ShardParts(total: parts.count, owned: parts.indices.filter { owners[$0] == shard.index }, digest: digest)
    }

    /// FNV-1a over every part's bounds (bit patterns) and owner.
    var digest: String {
        var hash = FNV1a()
        for (part, owner) in zip(parts, owners) {
            for side in part.box { hash.mix(side.lower.bitPattern); hash.mix(side.upper.bitPattern) }
            hash.mix(UInt64(owner))
        }
        return hash.hex
    }

    /// The largest bound over the parts of `index` (−∞ when it owns none):
    /// what a merge may state for a shard whose answer is missing.
    func upper(of index: Int) -> Double {
        boxes(of: index).map(\.upper).max() ?? -.infinity
    }
}
