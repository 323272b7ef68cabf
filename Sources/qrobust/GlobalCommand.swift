import ArgumentParser
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Reports
import Robustness

/// `qrobust global`: the maximal deviation over an input box.
struct GlobalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "global",
        abstract: "How far can compression move the output anywhere in an input box?",
        discussion: """
            Examples:
              qrobust global Examples/moons-relu.json --box -1:2,-1:1.5 --bits 6 \\
                  --compression-model concrete
              qrobust global f.nnet --compressed g.nnet --box 0:1,1:2 --metric logit
              qrobust global net.nnet --box 0:1,0:1 --precision float16 --tau 0.05
              qrobust global net.onnx --vnnlib prop_1.vnnlib --precision float16 --metric logit
              qrobust global Examples/moons-relu.json --box 0.5:1.5,-0.5:0 --bits 4 \
                  --compression-model concrete --metric flip

            The box is in raw input units (exact decimals or fractions, lo:hi per input) and goes \
            through the model's input normalisation, if it has one. With --vnnlib it is read from \
            the (assert (<= X_i c)) / (assert (>= X_i c)) bounds of a VNN-LIB file, X_i being the \
            model's input i as qrobust reads it; assertions on the outputs Y_j state another \
            property and are ignored (the report counts them). The search splits the box, \
            bounds each part soundly (differential bound propagation) and looks for witnesses, \
            until the maximal deviation is pinned to an interval no wider than --tolerance: lower \
            is reached by a witness replayed in exact arithmetic, upper is proved. With --tau it \
            stops as soon as the answer is decided (exit 0 robust, 1 not robust, 2 unknown).

            --metric flip asks instead whether any input of the box gets another class from the \
            compressed network (top-1 equivalence; no τ): robust when none does, proved by the \
            bounds (the flip margin max_{j≠c} (z'_j − z'_c), c the original's class, below 0) or \
            by Z3 box by box; NOT robust with an input that changes class, replayed exactly.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var compression: CompressionOptions

    @OptionGroup var box: BoxSourceOptions

    @Option(parsing: .unconditional, help: "The threshold τ > 0 (decimal or fraction). Without it the maximal deviation is measured.",
            transform: ExactNumber.positive)
    var tau: ExactNumber?

    @Option(help: "probability (|σ(z') − σ(z)|, or softmax of the class predicted at each input; needs a classifier), logit (max |z'_i − z_i|), or flip (does any input of the box change class? no τ).")
    var metric: Metric?

    @Option(help: "Largest acceptable width of the deviation interval. (default: 1e-4)", transform: ExactNumber.positive)
    var tolerance = ExactNumber(Rational(1, 10_000), written: "1e-4")

    @Option(help: "Boxes searched in parallel, 1 to 256 (the default is the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Time limit in seconds; when it runs out the answer is unknown, with the bounds reached.",
            transform: Seconds.positive)
    var timeout: Double?

    @Flag(help: "Include the witness's full parameter vector (perturbation sets) in the report.")
    var witnessParameters = false

    @OptionGroup(title: "Sharding") var sharding: ShardOptions

    @OptionGroup var dump: DumpOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        try validateJobs(jobs)
        if metric == .flip && tau != nil {
            throw ValidationError("--metric flip asks whether any input of the box changes class; leave out --tau.")
        }
    }

    /// The question as asked: the query, the compression's description, the box as the
    /// user wrote it and where it came from (the report shows them as given).
    typealias Question = (query: GlobalQuery, compression: String, written: [[String]], source: String?)

    /// The question this command asks.
    func question() throws -> Question {
        let network = try modelOptions.load()
        let (model, description) = try compression.resolve(for: network)
        let (region, written, source) = try box.resolve()
        let query = GlobalQuery(
            network: network, compression: model, region: region,
            metric: metric ?? (network.output == .logits ? .logit : .probability),
            tau: tau?.value, tolerance: tolerance.value, timeLimit: timeout, jobs: jobs, shard: sharding.shard)
        return (query, description, written, source)
    }

    /// The report of an answer to this command's question.
    func report(_ result: GlobalResult, question: Question, includeParameters: Bool) -> GlobalReport {
        var report = GlobalReport(result: result, query: question.query, model: modelOptions.model,
                                  compression: question.compression, includeParameters: includeParameters)
        report.box = question.written  // as the user wrote it (the query holds the exact values)
        report.boxSource = question.source
        return report
    }

    func run() async throws {
        var code = Exit.robust
        try await reportingErrors {
            let header = sharding.header(.global)
            if let header, let file = try sharding.finished(header) {
                let report = try file.globalReport()
                print(json ? try report.json() : report.text)
                code = file.footer?.exitCode ?? Exit.unknown
                return
            }
            let question = try question()
            let query = question.query
            let stop = HardStop(limit: timeout)
            let render = { @Sendable (result: GlobalResult) throws -> String in
                let report = report(result, question: question, includeParameters: witnessParameters)
                return json ? try report.json() : report.text
            }
            let result = try await dump.around { try await GlobalRobustness.check(query) { p in
                // Progress on stderr, only for searches that take longer than a second.
                if p.seconds > 1 {
                    printProgress(String(format: "qrobust: deviation in [%.6g, %.6g], %d boxes open, %d bounded (%.1f s)",
                                      p.lower, p.upper, p.openBoxes, p.statistics.boxes, p.seconds))
                }
                if timeout != nil, let text = try? render(.provisional(p, tau: query.tau, flip: query.metric == .flip)) { stop.update(text) }
            } }
            let text = try render(result)
            stop.finish()
            code = answerExitCode(verdict: result.verdict, reason: result.reason)
            if let header {
                // The merge replays the witness again: a perturbation set's needs its parameters.
                let line = try report(result, question: question, includeParameters: true).jsonLine()
                try sharding.write(header, lines: [line], exitCode: code)
            }
            print(text)
        }
        if code != Exit.robust { throw ExitCode(code) }
    }
}
