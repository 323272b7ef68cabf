import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Robustness

/// What the pruning study does to every subject.
public struct PruningStudyConfiguration: Sendable {
    /// The target sparsities, increasing, in (0, 1]: magnitude pruning's fractions of
    /// weights, the coreset's fractions of neurons not drawn, and confident pruning's grid.
    public var sparsities: [Double]
    /// Confident pruning's risk levels α (one calibration each).
    public var alphas: [Rational]
    /// Confident pruning's δ.
    public var delta: Rational
    /// Uniform points of a zoo network's box that calibrate confident pruning; as many
    /// again, drawn independently, measure its held-out disagreement.
    public var calibrationSize: Int
    /// Points of each region where the deviation is sampled (half uniform, half vertices).
    public var samples: Int
    /// Seeds the coreset draws and every sample (SplitMix64).
    public var seed: UInt64
    /// The confidence of the coreset's theoretical (per-input) bound.
    public var coresetConfidence: Double
    public var tolerance: Rational
    public var jobs: Int

    public init(sparsities: [Double] = [0.1, 0.3, 0.5, 0.7, 0.9],
                alphas: [Rational] = [Rational(1, 100), Rational(5, 100), Rational(1, 10)], delta: Rational = Rational(1, 10),
                calibrationSize: Int = 1000, samples: Int = 1000, seed: UInt64 = 0, coresetConfidence: Double = 0.05,
                tolerance: Rational = Rational(1, 1000), jobs: Int = 2) {
        (self.sparsities, self.alphas, self.delta) = (sparsities, alphas, delta)
        (self.calibrationSize, self.samples, self.seed, self.coresetConfidence) = (calibrationSize, samples, seed, coresetConfidence)
        (self.tolerance, self.jobs) = (tolerance, jobs)
    }

    /// Rejects settings without meaning.
    public func validate() throws {
        guard !sparsities.isEmpty, MagnitudePruning.isSparsityGrid(sparsities), sparsities[0] > 0 else {
            throw StudyError("the sparsities must be increasing values in (0, 1], found \(sparsities)")
        }
        guard !alphas.isEmpty, alphas.allSatisfy({ $0.isPositive && $0 < .one }), delta.isPositive, delta < .one else {
            throw StudyError("every α and δ must lie strictly between 0 and 1")
        }
        guard calibrationSize >= 1, samples >= 2 else { throw StudyError("the study needs a calibration point and two samples") }
        guard coresetConfidence > 0, coresetConfidence < 1 else { throw StudyError("the coreset's confidence must lie in (0, 1)") }
        guard tolerance.isPositive else { throw StudyError("the tolerance must be > 0") }
        guard (1...GlobalQuery.maximumJobs).contains(jobs) else {
            throw StudyError("the number of jobs must be between 1 and \(GlobalQuery.maximumJobs), found \(jobs)")
        }
    }

    /// The settings that change results (not the job count; each subject's time limit is in its record).
    var signature: String {
        "pruning at \(sparsities); α \(alphas.map(\.description)), δ \(delta); calibration \(calibrationSize); "
            + "samples \(samples); seed \(seed); coreset confidence \(coresetConfidence); tolerance \(tolerance)"
    }
}

/// One network over one region, as the pruning study sees it.
public struct PruningSubject: Sendable {
    /// Unique within a study (a zoo file, or an image network's file with `#row`).
    public var key: String
    /// The table's group, for example `zoo, relu` or `mnist_relu_3_100.nnet`.
    public var group: String
    public var network: Network
    public var region: InputRegion
    public var metric: Metric
    /// Raw inputs that calibrate confident pruning.
    public var calibration: [[Double]]
    /// Raw inputs, drawn like the calibration, that measure held-out disagreement (may be empty).
    public var heldOut: [[Double]]
    /// The time limit of each global query, in seconds.
    public var timeLimit: Double

    public init(key: String, group: String, network: Network, region: InputRegion, metric: Metric,
                calibration: [[Double]], heldOut: [[Double]], timeLimit: Double) {
        (self.key, self.group, self.network, self.region, self.metric) = (key, group, network, region, metric)
        (self.calibration, self.heldOut, self.timeLimit) = (calibration, heldOut, timeLimit)
    }
}

/// A pruned network's deviation from the original over the subject's region.
public struct PruningPoint: Codable, Sendable, Equatable {
    /// The sparsity asked for.
    public var target: Double
    /// The fraction of the original's weights that the pruned network does not store
    /// (zero, or gone with a removed neuron).
    public var reached: Double
    public var certified: CertifiedInterval
    /// The largest deviation among the samples, replayed exactly (rounded down).
    public var sampled: Double
    /// The coreset's theoretical per-input bound in the study's metric (nil for magnitude
    /// pruning, and where the metric has no Lipschitz constant here).
    public var theoretical: Double?
}

/// Confident pruning at one α.
public struct ConfidentPoint: Codable, Sendable, Equatable {
    public var alpha: Double
    /// The largest certified sparsity of the grid; nil when none is.
    public var chosen: Double?
    /// The disagreement rate of the chosen network on held-out points (nil without them).
    public var heldOutRisk: Double?
}

/// Everything the pruning study computed for one subject (one line of pruning.jsonl).
public struct PruningRecord: StudyRecord, Equatable {
    public var key: String
    public var group: String
    public var metric: String
    public var settings: String
    /// The time limit of each global query, in seconds.
    public var timeLimit: Double
    public var magnitude: [PruningPoint]
    public var coreset: [PruningPoint]
    /// Confident pruning is magnitude pruning at the chosen sparsity: its deviation is
    /// the magnitude point of that sparsity.
    public var confident: [ConfidentPoint]
    public var seconds: Double
}

/// The pruning study: for every subject, the certified and sampled maximal
/// deviation of magnitude and coreset pruning at each sparsity, the coreset's
/// theoretical bound, and the sparsity that confident pruning (Learn-then-Test)
/// chooses at each α (the library call behind `qrobust study pruning`).
public enum PruningStudy {
    /// Studies every subject not already in `resultsFile`; see ``ResultsFile``.
    public static func run(_ subjects: [PruningSubject], configuration: PruningStudyConfiguration, resultsFile: String,
                           shard: Shard? = nil, progress: (@Sendable (_ index: Int, _ count: Int, _ key: String, _ resumed: Bool) -> Void)? = nil)
        async throws -> [PruningRecord]
    {
        try configuration.validate()
        let settings = configuration.signature
        return try await ResultsFile.run(subjects, key: \.key, settings: settings, path: resultsFile, shard: shard, progress: progress,
                                         isCurrent: { $0.group == $1.group && $0.timeLimit == $1.timeLimit }) { subject in
            try await study(subject, configuration, settings: settings)
        }
    }

    /// The zoo's subjects: each network over the zoo's box, with the probability
    /// metric, calibrated and held out on uniform points of the box.
    public static func subjects(of zoo: Zoo, configuration: PruningStudyConfiguration, timeLimit: Double) throws -> [PruningSubject] {
        guard timeLimit > 0, timeLimit.isFinite else { throw StudyError("the time limit per query must be > 0") }
        return try zoo.entries.map { entry in
            let network = try zoo.network(entry)
            guard network.output == .sigmoid else { throw StudyError("\(entry.file): the study needs a sigmoid classifier") }
            let region = ActivationStudy.region(zoo, network)
            var rng = SplitMix64(seed: configuration.seed)
            let calibration = SampledDeviation.uniformPoints(region, count: configuration.calibrationSize, &rng)
            let heldOut = SampledDeviation.uniformPoints(region, count: configuration.calibrationSize, &rng)
            return PruningSubject(key: entry.file, group: "zoo, \(entry.activation)", network: network, region: region,
                                  metric: .probability, calibration: calibration, heldOut: heldOut, timeLimit: timeLimit)
        }
    }

    /// An image network's subjects: an L∞ ball of `radius` around each of the first
    /// `balls` images, clipped to [0, 1], with the logit metric; every image calibrates
    /// confident pruning (no held-out set).
    public static func subjects(imageNetwork network: Network, named name: String, images: [[Rational]], balls: Int,
                                radius: Rational, timeLimit: Double) throws -> [PruningSubject] {
        guard balls >= 1, balls <= images.count else {
            throw StudyError("\(name): \(balls) balls asked, but the image set has \(images.count) rows")
        }
        guard radius.isPositive else { throw StudyError("the ball radius must be > 0") }
        guard timeLimit > 0, timeLimit.isFinite else { throw StudyError("the time limit per query must be > 0") }
        guard images.allSatisfy({ $0.count == network.inputSize }) else {
            throw StudyError("\(name) reads \(network.inputSize) inputs, but an image has another length")
        }
        let calibration = images.map { $0.map(\.approximateDouble) }
        return images.prefix(balls).enumerated().map { row, image in
            let region = InputRegion(lower: image.map { max(.zero, $0 - radius) }, upper: image.map { min(.one, $0 + radius) })
            return PruningSubject(key: "\(name)#\(row + 1)", group: name, network: network, region: region, metric: .logit,
                                  calibration: calibration, heldOut: [], timeLimit: timeLimit)
        }
    }

    /// Studies one subject.
    static func study(_ subject: PruningSubject, _ configuration: PruningStudyConfiguration,
                      settings: String) async throws -> PruningRecord {
        let started = Date()
        let network = subject.network
        let weights = network.layers.reduce(0) { $0 + $1.inputSize * $1.outputSize }
        var magnitude: [PruningPoint] = [], coreset: [PruningPoint] = []
        let bounds = CoresetPruning.activationBounds(of: network, over: subject.region)
        for sparsity in configuration.sparsities {
            let pruned = try MagnitudePruning(sparsity: sparsity).apply(to: network)
            magnitude.append(try await point(subject, pruned.network, target: sparsity, reached: pruned.reached,
                                             theoretical: nil, configuration))
            let (sampler, outcome) = try Self.coreset(network, sparsity: sparsity, bounds: bounds, seed: configuration.seed)
            let stored = outcome.network.layers.reduce(0) { $0 + $1.weights.joined().filter { $0 != 0 }.count }
            let logitBound = sampler.logitErrorBound(of: outcome, original: network, confidence: configuration.coresetConfidence)
            let theoretical: Double? = switch (subject.metric, network.output) {
            case (.logit, _): logitBound
            case (.probability, .sigmoid): logitBound / 4  // σ is 1/4-Lipschitz
            default: nil
            }
            coreset.append(try await point(subject, outcome.network, target: sparsity, reached: 1 - Double(stored) / Double(weights),
                                           theoretical: theoretical, configuration))
        }
        var confident: [ConfidentPoint] = []
        for alpha in configuration.alphas {
            let calibration = try ConfidentPruning(grid: configuration.sparsities, alpha: alpha, delta: configuration.delta)
                .calibrate(network, inputs: subject.calibration, labels: nil)
            var risk: Double?
            if let chosen = calibration.chosen, !subject.heldOut.isEmpty {
                let pruned = try MagnitudePruning(sparsity: chosen).apply(to: network).network
                let disagreements = subject.heldOut.filter {
                    Network.predictedClass(logits: pruned.logits(at: $0)) != Network.predictedClass(logits: network.logits(at: $0))
                }.count
                risk = Double(disagreements) / Double(subject.heldOut.count)
            }
            confident.append(ConfidentPoint(alpha: alpha.nearestDouble, chosen: calibration.chosen, heldOutRisk: risk))
        }
        return PruningRecord(key: subject.key, group: subject.group, metric: subject.metric.rawValue, settings: settings,
                             timeLimit: subject.timeLimit,
                             magnitude: magnitude, coreset: coreset, confident: confident,
                             seconds: (Date().timeIntervalSince(started) * 10).rounded() / 10)
    }

    /// The study's coreset at a target sparsity: `⌈(1 − s)·w⌉` draws per hidden layer,
    /// w the widest hidden layer (at least one draw).
    static func coreset(_ network: Network, sparsity: Double, bounds: [[Double]],
                        seed: UInt64) throws -> (sampler: CoresetPruning, outcome: CoresetPruning.Outcome) {
        let widest = network.layers.dropLast().map(\.outputSize).max() ?? 1
        let sampler = try CoresetPruning(draws: max(1, Int((Double(widest) * (1 - sparsity)).rounded(.up))), seed: seed)
        return (sampler, try sampler.apply(to: network, activationBounds: bounds))
    }

    /// The certified and sampled deviation of one pruned network.
    private static func point(_ subject: PruningSubject, _ pruned: Network, target: Double, reached: Double, theoretical: Double?,
                              _ configuration: PruningStudyConfiguration) async throws -> PruningPoint {
        let result = try await GlobalRobustness.check(GlobalQuery(
            network: subject.network, compression: .concrete(pruned), region: subject.region, metric: subject.metric,
            tolerance: configuration.tolerance, timeLimit: subject.timeLimit, jobs: configuration.jobs))
        let sampled = SampledDeviation.largest(subject.metric, original: subject.network, compressed: pruned, region: subject.region,
                                               count: configuration.samples, seed: configuration.seed).value
        return PruningPoint(target: target, reached: reached,
                            certified: CertifiedInterval(result.deviation, reason: result.reason, seconds: result.seconds),
                            sampled: sampled, theoretical: theoretical)
    }
}
