import ArgumentParser
import ExactArithmetic
import Foundation
import Robustness

extension Metric: ExpressibleByArgument {}
extension Encoding: ExpressibleByArgument {}

/// `qrobust local`: the local property at one input.
struct LocalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local",
        abstract: "Can compression move the output at this input by more than τ, or flip the class?",
        discussion: """
            Examples:
              qrobust local Examples/moons-relu.json --input 0.5,0.25 --bits 4 --tau 0.05
              qrobust local net.nnet --output sigmoid --input 0.1,0.2 \\
                  --precision float16 --metric flip
              qrobust local net.json --input 1,0 --compressed pruned.json --metric logit

            The input is read exactly (0.1 means 1/10) and passed through the model's input \
            normalisation, if it has one. With --tau the command decides (exit 0 robust, 1 not \
            robust, 2 unknown); without it, it reports the maximal deviation as a certified \
            interval [lower, upper]: lower is reached by a witness replayed in exact arithmetic, \
            upper is proved.
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var compression: CompressionOptions

    @Option(parsing: .unconditional, help: "The input point, comma separated (exact decimals or fractions; negative values need no '=').")
    var input: String

    @Option(parsing: .unconditional, help: "The threshold τ > 0 (decimal or fraction). Without it the maximal deviation is measured.")
    var tau: String?

    @Option(help: "probability (|σ(z') − σ(z)| or softmax of the original class; needs a classifier), logit (max |z'_i − z_i|) or flip (can the class change?).")
    var metric: Metric?

    @Option(help: "Largest acceptable width of the deviation interval.")
    var tolerance: String = "1e-6"

    @Option(help: "Time limit in seconds; when it runs out the answer is unknown, with the bounds reached.")
    var timeout: Double?

    @Option(help: "How perturbation sets are encoded: linear (exact QF_LRA reduction; fast) or nonlinear (direct QF_NRA; for cross-checks on tiny networks).")
    var encoding: Encoding = .linear

    @Flag(help: "Include the witness's full parameter vector (exact rationals) in the report.")
    var witnessParameters = false

    @OptionGroup var dump: DumpOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        try validateThresholds(tau: tau, tolerance: tolerance, timeout: timeout)
    }

    func run() throws {
        var code = Exit.robust
        try reportingErrors {
            let network = try modelOptions.load()
            let (model, description) = try compression.resolve(for: network)
            let point = try parseInput(input)
            let query = LocalQuery(
                network: network, compression: model, input: point,
                metric: metric ?? (network.output == .logits ? .logit : .probability),
                tau: tau.flatMap { Rational(parsing: $0) },
                tolerance: Rational(parsing: tolerance)!, timeLimit: timeout, encoding: encoding)
            let stop = HardStop(limit: timeout)
            let written = input.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
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
}
