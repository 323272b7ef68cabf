import ArgumentParser
import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Robustness
import Study

/// `qrobust study`: studies over many networks.
struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "Studies over a zoo of networks.",
        subcommands: [ActivationsCommand.self, SchemesCommand.self, PruningStudyCommand.self])
}

/// `qrobust study activations`: ReLU against linear hidden layers under quantisation.
struct ActivationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activations",
        abstract: "Compare ReLU and linear networks: certified deviation against bits, fewest bits, local deviations.",
        discussion: """
            For every network of ZOO/zoo.json (scripts/train-zoo.py writes one; Examples/zoo is \
            committed), over the input box [0, 1]^d and with the probability metric \
            |σ(z') − σ(z)|, the study computes three things. First, the maximal confidence \
            deviation as a certified interval, for the network rounded to k fractional bits and \
            for the perturbation set of k bits, at every k of --bits. Second, the fewest k of the \
            grid that keeps the certified upper end under each τ (at that k and every larger \
            one). Third, the local deviation (perturbation set of --local-bits) at the test \
            points nearest to and farthest from the decision boundary.

            Each global query stops at --tolerance or at --timeout-per-query; then its interval \
            is simply wider. Every number is a certified interval: lower ends are replayed \
            witnesses.

            Results are appended to OUT/results.jsonl as each network finishes; running the same \
            command again resumes where it stopped. At the end OUT holds summary.md (the tables \
            printed here), deviation-vs-bits.svg and heatmap.svg.

            The committed results (about 35 minutes on 2 cores, release build):
              qrobust study activations Examples/zoo --bits 2,4,6,8,10,12 \\
                  --timeout-per-query 2 --out docs/study
            A quick look at one data set:
              qrobust study activations Examples/zoo --only moons --bits 4,8 --out moons
            """)

    @OptionGroup var shared: StudyOptions

    @Option(help: "Fixed-point widths: a range lo:hi or a list (e.g. 2:12 or 2,4,8). (default: 2:12)", transform: Self.widths)
    var bits = Array(2...12)

    @Option(help: "Thresholds τ for the fewest-bits columns, comma separated. (default: 0.01,0.05,0.1)", transform: Self.thresholds)
    var tau = [Rational(1, 100), Rational(1, 20), Rational(1, 10)]

    @Option(help: "Width of the perturbation set for the local deviations and the heat map.")
    var localBits = 6

    @Option(help: "Time limit of each query in seconds.")
    var timeoutPerQuery = 2.0

    @Option(help: "The folder for results.jsonl, summary.md and the SVG pictures.")
    var out = "study-results"

    @Option(help: "The 2-input zoo network of the heat map (default: the first ReLU network with 2 inputs).")
    var heatmap: String?

    @Option(help: "Cells per axis of the heat map.")
    var heatmapResolution = 24

    @Option(help: "Also write every record as one JSON array to this file.")
    var json: String?

    @Option(help: "Also write one CSV row per network, scheme and width to this file.")
    var csv: String?

    func validate() throws {
        try validateJobs(shared.jobs)
        guard timeoutPerQuery > 0, timeoutPerQuery.isFinite else { throw ValidationError("--timeout-per-query must be positive.") }
        guard (2...200).contains(heatmapResolution) else { throw ValidationError("--heatmap-resolution must be between 2 and 200.") }
        guard json == nil || csv == nil || json != csv else { throw ValidationError("--json and --csv need different files.") }
    }

    /// `--bits`: lo:hi or a list, each width in 0…52; sorted, without repeats.
    private static func widths(_ argument: String) throws -> [Int] {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        let widths = FixedPoint.supportedBits
        if parts.count == 2, let lo = Int(parts[0]), let hi = Int(parts[1]), lo <= hi, widths.contains(lo), widths.contains(hi) {
            return Array(lo...hi)
        }
        let list = argument.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !list.isEmpty, list.count == argument.split(separator: ",").count, list.allSatisfy(widths.contains) else {
            throw ValidationError("expected lo:hi or a comma-separated list of widths between 0 and 52")
        }
        return Array(Set(list)).sorted()
    }

    /// `--tau`: a comma-separated list of positive numbers, read exactly.
    private static func thresholds(_ argument: String) throws -> [Rational] {
        guard let values = Rational.parseList(argument).values, !values.isEmpty, values.allSatisfy(\.isPositive) else {
            throw ValidationError("expected a comma-separated list of positive numbers")
        }
        return values
    }

    func run() async throws {
        try await reportingErrors {
            let zoo = try shared.loadZoo()
            let configuration = StudyConfiguration(bits: bits, taus: tau, localBits: localBits,
                                                   timeLimitPerQuery: timeoutPerQuery, tolerance: shared.tolerance.value, jobs: shared.jobs)
            try StudyOptions.createFolder(out)
            let started = Date()
            let resultsFile = (out as NSString).appendingPathComponent("results.jsonl")
            let records = try await ActivationStudy.run(zoo: zoo, configuration: configuration, resultsFile: resultsFile,
                                                        shard: shared.shard) { i, n, file, resumed in
                let elapsed = Int(Date().timeIntervalSince(started))
                printProgress("qrobust: [\(i + 1)/\(n)] \(file)\(resumed ? " (already in results.jsonl)" : "") — \(elapsed) s so far")
            }
            if let shard = shared.shard {
                return shared.reportShard(records.count, file: ResultsFile.shardPath(resultsFile, shard))
            }
            let summary = StudySummary(records: records)
            let tables = summary.report(configuration)
            print(tables)
            try write(tables + "\n", to: "summary.md")
            try write(DeviationPlot.svg(records), to: "deviation-vs-bits.svg")
            if let picture = try await heatMap(zoo: zoo, configuration: configuration) { try write(picture, to: "heatmap.svg") }
            if let json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                try StudyOptions.writeFile(String(decoding: try encoder.encode(records), as: UTF8.self) + "\n", json)
            }
            if let csv { try StudyOptions.writeFile(summary.csv, csv) }
            printProgress("qrobust: wrote \(out)/summary.md, deviation-vs-bits.svg, heatmap.svg and results.jsonl")
        }
    }

    private func heatMap(zoo: Zoo, configuration: StudyConfiguration) async throws -> String? {
        guard let entry = try zoo.heatMapEntry(named: heatmap) else { return nil }
        let network = try zoo.network(entry)
        let set = try FixedPoint(fractionalBits: localBits).perturbationSet
        let map = try await HeatMap.compute(network, set: set, low: zoo.inputBox[0], high: zoo.inputBox[1], resolution: heatmapResolution,
                                      timeLimit: timeoutPerQuery, jobs: shared.jobs, title: "\(entry.file): local deviation, perturbation set of \(localBits) bits") { row in
            if row % 6 == 0 { printProgress("qrobust: heat map \(row)/\(heatmapResolution) rows") }
        }
        return map.svg(network: network)
    }

    private func write(_ text: String, to name: String) throws {
        try StudyOptions.writeFile(text, (out as NSString).appendingPathComponent(name))
    }

}

/// `qrobust study schemes`: fixed point, affine integers and float16 on the same zoo.
struct SchemesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schemes",
        abstract: "Compare storage schemes: fixed point, int-B per tensor and per channel, float16, on every zoo network.",
        discussion: """
            For every network of ZOO/zoo.json, over the input box [0, 1]^d and with the \
            probability metric |σ(z') − σ(z)|, the maximal confidence deviation as a certified \
            interval under four schemes: fixed point with --bits fractional bits (round to \
            nearest), affine --bits-bit integers with one scale per weight matrix and with one per \
            output channel (symmetric, PyTorch's min/max rule, as `--int B [--per-channel]`), and \
            float16. Each scheme is asked twice: for the one rounded network, and for the \
            perturbation set of its rounding errors.

            Each global query stops at --tolerance or at --timeout-per-query; then its interval \
            is simply wider (the table counts how many). Results are appended to \
            OUT/schemes.jsonl as each network finishes; running the same command again resumes. \
            At the end OUT holds schemes.md (the table printed here) and deviation-by-scheme.svg.

            The committed results (release build, 2 cores):
              qrobust study schemes Examples/zoo --bits 8 --timeout-per-query 1 --out docs/study
            """)

    @OptionGroup var shared: StudyOptions

    @Option(help: "Bits of the fixed-point (fractional) and integer schemes, 2 to 16.")
    var bits = 8

    @Option(help: "Time limit of each query in seconds.")
    var timeoutPerQuery = 1.0

    @Option(help: "The folder for schemes.jsonl, schemes.md and deviation-by-scheme.svg.")
    var out = "study-results"

    func validate() throws {
        try validateJobs(shared.jobs)
        guard timeoutPerQuery > 0, timeoutPerQuery.isFinite else { throw ValidationError("--timeout-per-query must be positive.") }
        guard AffineQuantization.supportedBits.contains(bits) else { throw ValidationError("--bits must be between 2 and 16, found \(bits).") }
    }

    func run() async throws {
        try await reportingErrors {
            let zoo = try shared.loadZoo()
            let configuration = StudyConfiguration(bits: [bits], timeLimitPerQuery: timeoutPerQuery, tolerance: shared.tolerance.value, jobs: shared.jobs)
            try StudyOptions.createFolder(out)
            let started = Date()
            let resultsFile = (out as NSString).appendingPathComponent("schemes.jsonl")
            let records = try await SchemeStudy.run(zoo: zoo, configuration: configuration, resultsFile: resultsFile,
                                                    shard: shared.shard) { i, n, file, resumed in
                let elapsed = Int(Date().timeIntervalSince(started))
                printProgress("qrobust: [\(i + 1)/\(n)] \(file)\(resumed ? " (already in schemes.jsonl)" : "") — \(elapsed) s so far")
            }
            if let shard = shared.shard {
                return shared.reportShard(records.count, file: ResultsFile.shardPath(resultsFile, shard))
            }
            let table = SchemeStudy.table(records, bits: bits)
            print(table)
            for (text, name) in [(table + "\n", "schemes.md"), (SchemeStudy.svg(records, bits: bits), "deviation-by-scheme.svg")] {
                try StudyOptions.writeFile(text, (out as NSString).appendingPathComponent(name))
            }
            printProgress("qrobust: wrote \(out)/schemes.md, deviation-by-scheme.svg and schemes.jsonl")
        }
    }
}

/// The options every study shares: the zoo, which of its networks, and how each query is searched.
struct StudyOptions: ParsableArguments {
    @Argument(help: "A zoo folder with zoo.json.")
    var zoo: String

    @Option(help: "Each global query stops once its interval is this narrow. (default: 0.001)", transform: ExactNumber.positive)
    var tolerance = ExactNumber(Rational(1, 1000), written: "0.001")

    @Option(help: "Parallel branches of each global query (1 to 256).")
    var jobs = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Only the networks whose file name contains this text.")
    var only: String?

    @Option(help: ArgumentHelp("Study only networks i, i + n, … (i from 0 to n − 1) into a results file of the shard's own in the output folder; the same command without --shard then merges every shard's records and writes the tables.",
                               valueName: "i/n"),
            transform: ShardOptions.parse)
    var shard: Shard?

    /// After a shard's run: where its records went and how to merge them.
    func reportShard(_ count: Int, file: String) {
        guard let shard else { return }
        printError("qrobust: shard \(shard) studied \(count) of its subjects into \(file); run the same command without --shard to merge every shard's records and write the tables")
    }

    /// The zoo, restricted to `--only`.
    func loadZoo() throws -> Zoo {
        var loaded = try Zoo.load(directory: zoo)
        if let only {
            loaded.entries = loaded.entries.filter { $0.file.contains(only) }
            guard !loaded.entries.isEmpty else { throw StudyError("no network of \(zoo) has '\(only)' in its file name") }
        }
        return loaded
    }

    /// Writes a result file; a failure is one line naming the file.
    static func writeFile(_ text: String, _ path: String) throws {
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw StudyError("\(path): cannot write (\(error.localizedDescription))")
        }
    }

    /// Creates the output folder (and its parents) if needed.
    static func createFolder(_ path: String) throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw StudyError("\(path): cannot create the folder (\(error.localizedDescription))")
        }
    }
}
