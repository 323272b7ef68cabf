import ArgumentParser
import ExactArithmetic
import Compression
import Foundation
import NeuralNetwork
import Queries
import Reports
import Robustness

extension Metric: ExpressibleByArgument {}
extension Encoding: ExpressibleByArgument {}

/// `qrobust local`: the local property at one input.
struct LocalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local",
        abstract: "Can compression move the output at this input by more than τ, or flip the class?",
        discussion: """
            Examples:
              qrobust local Examples/moons-relu.json --input 0.5,0.25 --bits 4 --tau 0.05
              qrobust local net.nnet --output-kind sigmoid --input 0.1,0.2 \\
                  --precision float16 --metric flip
              qrobust local net.json --input 1,0 --compressed pruned.json --metric logit
              qrobust local mnist.onnx --inputs Examples/mnist/mnist-100.csv --label-column label \\
                  --input-scale 1/255 --bits 8 --metric flip --jobs 2

            The input is read exactly (0.1 means 1/10) and passed through the model's input \
            normalisation, if it has one. With --tau the command decides (exit 0 robust, 1 not \
            robust, 2 unknown); without it, it reports the maximal deviation as a certified \
            interval [lower, upper]: lower is reached by a witness replayed in exact arithmetic, \
            upper is proved.

            With --inputs FILE (.csv; .jsonl with one array or {"input": [...], "label": k} per \
            line; or a NumPy .npy array, one row per input) every row is checked, --jobs at a time, each with its own --timeout. The \
            output is a table (or JSON Lines with --json: one object per row, then a summary \
            object) ending with a summary: robust / not robust / unknown counts, the rows whose \
            class can flip, rows the original network misclassifies (with --label-column), and \
            the worst rows. Exit 0 if every row is robust (or measured), 1 if any is not, 2 if \
            any is unknown.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var compression: CompressionOptions

    @Option(parsing: .unconditional, help: "The input point, comma separated (exact decimals or fractions; negative values need no '=').",
            transform: PointOption.parse)
    var input: PointOption?

    @Option(help: "Check every input of this file instead: .csv (one input per line; '#' comments; an optional header), .jsonl or .npy.")
    var inputs: String?

    @Option(help: "With --inputs: the CSV column holding labels (header name or 1-based position); it is not part of the input.")
    var labelColumn: String?

    @Option(parsing: .unconditional, help: "With --inputs: multiply every value by this exact number first (e.g. 1/255 for raw pixels).",
            transform: ExactNumber.positive)
    var inputScale: ExactNumber?

    @Option(help: "With --inputs: rows checked in parallel, 1 to 256 (the default is the number of cores).")
    var jobs = ProcessInfo.processInfo.activeProcessorCount

    @Option(parsing: .unconditional, help: "The threshold τ > 0 (decimal or fraction). Without it the maximal deviation is measured.",
            transform: ExactNumber.positive)
    var tau: ExactNumber?

    @Option(help: "probability (|σ(z') − σ(z)| or softmax of the original class; needs a classifier), logit (max |z'_i − z_i|) or flip (can the class change?).")
    var metric: Metric?

    @Option(help: "Largest acceptable width of the deviation interval. (default: 1e-6)", transform: ExactNumber.positive)
    var tolerance = ExactNumber(Rational(1, 1_000_000), written: "1e-6")

    @Option(help: "Time limit in seconds; when it runs out the answer is unknown, with the bounds reached.",
            transform: Seconds.positive)
    var timeout: Double?

    @Option(help: "How perturbation sets are encoded: linear (exact QF_LRA reduction; fast) or nonlinear (direct QF_NRA; for cross-checks on tiny networks).")
    var encoding: Encoding = .linear

    @Flag(help: "Include the witness's full parameter vector (exact rationals) in the report.")
    var witnessParameters = false

    @OptionGroup(title: "Sharding (with --inputs)") var sharding: ShardOptions

    @OptionGroup var dump: DumpOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        if sharding.shard != nil && inputs == nil {
            throw ValidationError("--shard splits the rows of --inputs FILE; one --input point is not split.")
        }
        guard (input == nil) != (inputs == nil) else {
            throw ValidationError("Give either --input (one point) or --inputs FILE (a file of points).")
        }
        if inputs == nil && (labelColumn != nil || inputScale != nil) {
            throw ValidationError("--label-column and --input-scale go with --inputs FILE.")
        }
        try validateJobs(jobs)
    }

    func run() async throws {
        var code = Exit.robust
        try await reportingErrors {
            let network = try modelOptions.load()
            let (model, description) = try compression.resolve(for: network)
            if let inputs {
                code = try await runBatch(inputs, network: network, model: model, description: description)
                return
            }
            guard let input else { throw ValidationError("Give either --input (one point) or --inputs FILE (a file of points).") }
            let query = self.query(at: input.values, network: network, model: model)
            let stop = HardStop(limit: timeout)
            let written = input.written
            let render = { @Sendable (result: LocalResult) throws -> String in
                var report = LocalReport(result: result, query: query, model: modelOptions.model,
                                         compression: description, includeParameters: witnessParameters)
                report.input = written  // as the user wrote it (the query holds the exact values)
                return json ? try report.json() : report.text
            }
            let result = try dump.around {
                try LocalRobustness.check(query, progress: { done, total, seconds in
                    // Progress on stderr, only for queries that take longer than a second.
                    if seconds > 1 { printProgress(String(format: "qrobust: %d of %d objectives bounded (%.1f s)", done, total, seconds)) }
                }, provisional: { interim in
                    if let text = try? render(interim) { stop.update(text) }
                })
            }
            let text = try render(result)
            stop.finish()
            print(text)
            code = answerExitCode(verdict: result.verdict, reason: result.reason)
        }
        if code != Exit.robust { throw ExitCode(code) }
    }

    /// The query at one point, with the settings every point shares.
    private func query(at point: [Rational], network: Network, model: CompressionModel) -> LocalQuery {
        LocalQuery(network: network, compression: model, input: point,
                   metric: metric ?? (network.output == .logits ? .logit : .probability),
                   tau: tau?.value, tolerance: tolerance.value, timeLimit: timeout, encoding: encoding)
    }

    /// `--inputs FILE`: every row (or, with `--shard i/n`, rows i, i + n, …),
    /// `jobs` at a time; returns the exit code.
    private func runBatch(_ path: String, network: Network, model: CompressionModel, description: String) async throws -> Int32 {
        let table = try InputTable(contentsOf: path, labelColumn: labelColumn, scale: inputScale?.value ?? .one)
        let header = sharding.header(.local, items: table.rows.count)
        if let header, let file = try sharding.finished(header) {
            let report = BatchReport(rows: try file.rows())
            print(json ? try report.jsonLines() : report.text)
            return file.footer?.exitCode ?? Exit.unknown
        }
        let positions = sharding.shard?.positions(among: table.rows.count) ?? Array(table.rows.indices)
        let queries = positions.map { query(at: table.rows[$0].input, network: network, model: model) }
        // Every row is validated before any is checked, so a bad row 90 fails at once.
        for (query, position) in zip(queries, positions) {
            do { try query.validate() } catch let error as QueryError {
                throw QueryError("\(path): line \(table.rows[position].line): \(error.message)", setting: error.setting)
            }
        }
        let started = Date()
        let results = try await dump.around {
            try await LocalRobustness.checkAll(queries, jobs: max(1, min(jobs, queries.count))) { done, total in
                printProgress(String(format: "qrobust: %d of %d rows checked (%.1f s)", done, total, Date().timeIntervalSince(started)))
            }
        }
        let rows = zip(positions, zip(queries, results)).map { position, element in
            let (query, result) = element
            let row = table.rows[position]
            var report = LocalReport(result: result, query: query, model: modelOptions.model,
                                     compression: description, includeParameters: witnessParameters)
            report.input = row.written
            return BatchReport.Row(row: position + 1, line: row.line, label: row.label, report: report)
        }
        let report = BatchReport(rows: rows)
        // The worst row's code, as each row alone would exit: not robust, then unknown.
        let code = BatchReport.exitCode(results.map { answerExitCode(verdict: $0.verdict, reason: $0.reason) })
        if let header { try sharding.write(header, lines: try rows.map(BatchReport.line), exitCode: code) }
        print(json ? try report.jsonLines() : report.text)
        return code
    }
}
