import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Robustness

/// Runs the activation study: for every zoo network, global deviations for
/// rounding and perturbation sets at each width, fewest bits per τ, and local
/// deviations at test points (the library call behind `qrobust study activations`).
public enum ActivationStudy {
    /// Studies every network not already in `resultsFile` (JSON Lines, one
    /// ``NetworkRecord`` per line, appended as each network finishes, so an
    /// interrupted run resumes where it stopped).
    /// - Parameter progress: called before each network with its index, the count and its file name.
    /// - Returns: the records of every zoo network, in zoo order.
    public static func run(zoo: Zoo, configuration: StudyConfiguration, resultsFile: String, shard: Shard? = nil,
                           progress: (@Sendable (_ index: Int, _ count: Int, _ file: String, _ resumed: Bool) -> Void)? = nil)
        async throws -> [NetworkRecord]
    {
        try configuration.validate()
        let settings = signature(configuration)
        return try await ResultsFile.run(zoo: zoo, settings: settings, path: resultsFile, shard: shard, progress: progress) { entry in
            try await study(entry, in: zoo, configuration: configuration, settings: settings)
        }
    }

    /// Studies one network.
    public static func study(_ entry: ZooEntry, in zoo: Zoo, configuration: StudyConfiguration,
                             settings: String? = nil) async throws -> NetworkRecord {
        let started = Date()
        let network = try zoo.network(entry)
        guard network.output == .sigmoid else { throw StudyError("\(entry.file): the study needs a sigmoid classifier") }
        let region = region(zoo, network)
        var rounding: [BitsPoint] = [], perturbation: [BitsPoint] = []
        for k in configuration.bits {
            let fixed = try FixedPoint(fractionalBits: k)
            rounding.append(try await global(network, .concrete(try fixed.apply(to: network)), region, k, configuration))
            perturbation.append(try await global(network, .perturbation(fixed.perturbationSet), region, k, configuration))
        }
        let fewest = configuration.taus.map { tau in
            FewestBitsEntry(tau: tau.nearestDouble, rounding: FewestBitsEntry.fewest(rounding, tau: tau),
                            perturbation: FewestBitsEntry.fewest(perturbation, tau: tau))
        }
        let set = try FixedPoint(fractionalBits: configuration.localBits).perturbationSet
        var local: [LocalPoint] = []
        for (position, points) in [("near", entry.nearBoundary), ("far", entry.farFromBoundary)] {
            for x in points {
                let deviation = try localDeviation(network, set: set, at: x, timeLimit: configuration.timeLimitPerQuery)
                let z = network.logits(at: x)[0]
                local.append(LocalPoint(position: position, input: x, confidence: 1 / (1 + exp(-z)), deviation: deviation))
            }
        }
        return NetworkRecord(entry: entry, settings: settings ?? signature(configuration), rounding: rounding,
                             perturbation: perturbation, fewestBits: fewest, local: local,
                             seconds: (Date().timeIntervalSince(started) * 10).rounded() / 10)
    }

    /// The certified local deviation of the probability under a perturbation set at a point.
    public static func localDeviation(_ network: Network, set: PerturbationSet, at x: [Double], timeLimit: Double) throws -> CertifiedInterval {
        let input = try x.map { value -> Rational in
            guard let exact = Rational(exactly: value) else { throw StudyError("test point \(x) is not finite") }
            return exact
        }
        let result = try LocalRobustness.check(LocalQuery(network: network, compression: .perturbation(set), input: input,
                                                          metric: .probability, timeLimit: timeLimit))
        return CertifiedInterval(result.deviation, reason: result.reason, seconds: result.seconds)
    }

    private static func global(_ network: Network, _ compression: CompressionModel, _ region: InputRegion, _ k: Int,
                               _ configuration: StudyConfiguration) async throws -> BitsPoint {
        let (deviation, witness) = try await globalDeviation(network, compression, region, configuration)
        return BitsPoint(bits: k, deviation: deviation, witness: witness)
    }

    /// The certified maximal confidence deviation over the region, and the input of its witness.
    static func globalDeviation(_ network: Network, _ compression: CompressionModel, _ region: InputRegion,
                                _ configuration: StudyConfiguration) async throws -> (CertifiedInterval, [Double]?) {
        let result = try await GlobalRobustness.check(GlobalQuery(
            network: network, compression: compression, region: region, metric: .probability,
            tolerance: configuration.tolerance, timeLimit: configuration.timeLimitPerQuery, jobs: configuration.jobs))
        return (CertifiedInterval(result.deviation, reason: result.reason, seconds: result.seconds),
                result.witness.map { $0.input.map(\.approximateDouble) })
    }

    /// The zoo's input box `[low, high]^d` for a network.
    static func region(_ zoo: Zoo, _ network: Network) -> InputRegion {
        InputRegion(lower: Array(repeating: Rational(exactly: zoo.inputBox[0])!, count: network.inputSize),
                    upper: Array(repeating: Rational(exactly: zoo.inputBox[1])!, count: network.inputSize))
    }

    /// The settings that change results (not the job count).
    static func signature(_ c: StudyConfiguration) -> String {
        "bits \(c.bits.map(String.init).joined(separator: ",")); local bits \(c.localBits); "
            + "tolerance \(c.tolerance); \(c.timeLimitPerQuery) s per query"
    }

    /// The records already in `resultsFile`, by network file; none when the file does not exist.
    /// - Throws: ``StudyError`` when a record was made with other settings.
    static func finishedRecords(_ resultsFile: String, settings: String) throws -> [String: NetworkRecord] {
        try ResultsFile.finished(NetworkRecord.self, resultsFile, settings: settings)
    }
}

extension Rational {
    /// The binary64 value nearest to a τ such as 1/100 (for the record; comparisons stay exact).
    var nearestDouble: Double {
        let down = roundedDown, up = roundedUp
        guard down != up, let low = Rational(exactly: down), let high = Rational(exactly: up) else { return down }
        return (self - low) <= (high - self) ? down : up
    }
}
