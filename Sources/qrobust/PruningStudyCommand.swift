import ArgumentParser
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Study

/// `qrobust study pruning`: magnitude, coreset and confident pruning, certified and sampled.
struct PruningStudyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pruning",
        abstract: "Compare magnitude, coreset and confident pruning: deviation against sparsity, certified, sampled and theoretical.",
        discussion: """
            For every network of ZOO/zoo.json, over the input box [0, 1]^d and with the \
            probability metric |σ(z') − σ(z)|, and for every target sparsity s of --sparsities:
              magnitude  the ⌊s·n⌋ smallest weights set to zero (globally, biases kept);
              coreset    ⌈(1 − s)·w⌉ draws per hidden layer (w the widest hidden layer), \
            sensitivities over the box, seed --seed;
            each pruned network gets its certified maximal deviation (global, --timeout-per-query), \
            the largest of 1,000 sampled deviations (half uniform points, half vertices, the best \
            replayed exactly), and for the coreset the paper's per-layer Hoeffding bounds chained \
            through the network (a per-input bound with probability 95 %, not a certificate). \
            Confident pruning runs Learn-then-Test on 1,000 uniform points of the box at each α of \
            --alpha (δ = --delta, disagreement loss, the sparsities as its grid), and its \
            disagreement is measured on 1,000 more.

            With --image-network, that network is studied too: an L∞ ball of --radius around each \
            of the first --balls rows of --images (values times --input-scale, the ball clipped to \
            [0, 1]), with the logit metric max |z'_i − z_i| and --image-timeout per query; all \
            rows of --images calibrate confident pruning.

            Results are appended to OUT/pruning.jsonl as each subject finishes; running the same \
            command again resumes. At the end OUT holds pruning.md (the tables printed here) and \
            deviation-vs-sparsity.svg.

            The committed results (release build, 2 cores):
              qrobust study pruning Examples/zoo \\
                  --image-network ../shared/networks/mnist/mnist_relu_3_100.nnet \\
                  --images Examples/mnist/mnist-100.csv --label-column label --input-scale 1/255 \\
                  --out docs/study
            """)

    @OptionGroup var shared: StudyOptions

    @Option(help: "Target sparsities, increasing, in (0, 1]. (default: 0.1,0.3,0.5,0.7,0.9)", transform: Self.sparsityList)
    var sparsities = [0.1, 0.3, 0.5, 0.7, 0.9]

    @Option(help: "Confident pruning's risk levels α, comma separated. (default: 0.01,0.05,0.1)", transform: Self.levels)
    var alpha = [Rational(1, 100), Rational(5, 100), Rational(1, 10)]

    @Option(help: "Confident pruning's δ. (default: 0.1)", transform: ExactNumber.positive)
    var delta = ExactNumber(Rational(1, 10), written: "0.1")

    @Option(help: "The seed of the coreset draws and of every sample (SplitMix64).")
    var seed: UInt64 = 0

    @Option(help: "Time limit of each zoo query in seconds.", transform: Seconds.positive)
    var timeoutPerQuery = 1.0

    @Option(help: "A network studied over balls around images (e.g. mnist_relu_3_100.nnet).")
    var imageNetwork: String?

    @Option(help: "With --image-network: a CSV of images, one per row.")
    var images: String?

    @Option(help: "The column of --images holding labels (left out of the inputs).")
    var labelColumn: String?

    @Option(help: "Multiply every image value by this (e.g. 1/255 for pixels).", transform: ExactNumber.positive)
    var inputScale: ExactNumber?

    @Option(help: "Balls around the first this many images.")
    var balls = 2

    @Option(help: "The L∞ radius of each ball, after --input-scale. (default: 0.01)", transform: ExactNumber.positive)
    var radius = ExactNumber(Rational(1, 100), written: "0.01")

    @Option(help: "Time limit of each image-network query in seconds.", transform: Seconds.positive)
    var imageTimeout = 10.0

    @Option(help: "The folder for pruning.jsonl, pruning.md and deviation-vs-sparsity.svg.")
    var out = "study-results"

    func validate() throws {
        try validateJobs(shared.jobs)
        guard (imageNetwork == nil) == (images == nil) else { throw ValidationError("--image-network and --images go together.") }
        guard imageNetwork != nil || (labelColumn == nil && inputScale == nil) else {
            throw ValidationError("--label-column and --input-scale go with --images.")
        }
        guard balls >= 1 else { throw ValidationError("--balls must be at least 1.") }
        guard delta.value < .one, alpha.allSatisfy({ $0 < .one }) else { throw ValidationError("--alpha and --delta must lie in (0, 1).") }
    }

    private static func sparsityList(_ argument: String) throws -> [Double] {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
        let values = parts.compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.count == parts.count, values.allSatisfy({ $0 > 0 && $0 <= 1 }),
              zip(values, values.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw ValidationError("expected increasing sparsities in (0, 1], comma separated (e.g. 0.1,0.5,0.9)")
        }
        return values
    }

    private static func levels(_ argument: String) throws -> [Rational] {
        guard let values = Rational.parseList(argument).values, !values.isEmpty, values.allSatisfy({ $0.isPositive && $0 < .one }) else {
            throw ValidationError("expected a comma-separated list of numbers in (0, 1)")
        }
        return values
    }

    func run() async throws {
        try await reportingErrors {
            let zoo = try shared.loadZoo()
            let configuration = PruningStudyConfiguration(sparsities: sparsities, alphas: alpha, delta: delta.value, seed: seed,
                                                          tolerance: shared.tolerance.value, jobs: shared.jobs)
            var subjects = try PruningStudy.subjects(of: zoo, configuration: configuration, timeLimit: timeoutPerQuery)
            if let imageNetwork, let images {
                let network = try NetworkFile.load(imageNetwork)
                let table = try InputTable(contentsOf: images, labelColumn: labelColumn, scale: inputScale?.value ?? .one)
                subjects += try PruningStudy.subjects(imageNetwork: network, named: (imageNetwork as NSString).lastPathComponent,
                                                      images: table.rows.map(\.input), balls: balls, radius: radius.value,
                                                      timeLimit: imageTimeout)
            }
            try StudyOptions.createFolder(out)
            let started = Date()
            let resultsFile = (out as NSString).appendingPathComponent("pruning.jsonl")
            let records = try await PruningStudy.run(subjects, configuration: configuration, resultsFile: resultsFile,
                                                     shard: shared.shard) { i, n, key, resumed in
                let elapsed = Int(Date().timeIntervalSince(started))
                printProgress("qrobust: [\(i + 1)/\(n)] \(key)\(resumed ? " (already in pruning.jsonl)" : "") — \(elapsed) s so far")
            }
            if let shard = shared.shard {
                return shared.reportShard(records.count, file: ResultsFile.shardPath(resultsFile, shard))
            }
            let tables = PruningStudy.report(records)
            print(tables)
            try StudyOptions.writeFile(tables + "\n", (out as NSString).appendingPathComponent("pruning.md"))
            try StudyOptions.writeFile(PruningStudy.svg(records), (out as NSString).appendingPathComponent("deviation-vs-sparsity.svg"))
            printProgress("qrobust: wrote \(out)/pruning.md, deviation-vs-sparsity.svg and pruning.jsonl")
        }
    }
}
