import Foundation
import Compression
import ExactArithmetic
import NeuralNetwork
import Queries

/// A global robustness question over an input box (docs/semantics.md §1.3).
public struct GlobalQuery: Sendable {
    public var network: Network
    public var compression: CompressionModel
    /// Raw inputs; the network's input normalisation (if any) is applied to the box.
    public var region: InputRegion
    /// `logit`, `probability`, or `flip`: whether any input of the box gets another
    /// class from the compressed network (top-1 equivalence; no τ).
    public var metric: Metric
    /// The threshold τ > 0; with it the search stops as soon as the answer is
    /// decided, without it it narrows the maximal deviation to the tolerance.
    public var tau: Rational?
    /// The widest certified interval for the maximal deviation the search may stop at.
    public var tolerance: Rational
    /// Wall-clock limit in seconds; nil for none.
    public var timeLimit: Double?
    /// Branches searched in parallel (one Z3 context each).
    public var jobs: Int
    /// The part of the box this process searches, when the query is split across
    /// processes (``GlobalRobustness/merge(_:shards:answers:)`` joins the parts); nil for all of it.
    public var shard: Shard?

    public init(network: Network, compression: CompressionModel, region: InputRegion, metric: Metric = .probability,
                tau: Rational? = nil, tolerance: Rational = Rational(1, 10_000), timeLimit: Double? = nil, jobs: Int = 2,
                shard: Shard? = nil) {
        self.network = network
        self.compression = compression
        self.region = region
        self.metric = metric
        self.tau = tau
        self.tolerance = tolerance
        self.timeLimit = timeLimit
        self.jobs = jobs
        self.shard = shard
    }

    /// The most parallel tasks a query may ask for. Each holds a thread with
    /// an 8 MiB stack and a Z3 context; more than a large machine's cores
    /// only costs memory.
    public static let maximumJobs = 256

    /// The most shards a global query may be split into: each shard cuts the
    /// box into ``ShardPartition/partsPerShard`` parts per shard before it starts.
    public static let maximumShards = 1024

    /// Rejects questions that have no meaning, before any search.
    public func validate() throws {
        try region.validate(inputSize: network.inputSize)
        if metric == .flip && tau != nil {
            throw QueryError("the flip metric asks whether any input of the box changes class; it takes no τ", setting: .metric)
        }
        try validateThresholds(tau: tau, tolerance: tolerance, timeLimit: timeLimit, metric: metric, output: network.output)
        guard (1...Self.maximumJobs).contains(jobs) else {
            throw QueryError("the number of jobs must be between 1 and \(Self.maximumJobs), found \(jobs)")
        }
        if let shard, shard.count > Self.maximumShards {
            throw QueryError("a global query can be split into at most \(Self.maximumShards) shards, found \(shard.count)")
        }
        try validateMagnitudes(network: network, compression: compression, box: region.normalized(by: network.normalization))
    }
}
