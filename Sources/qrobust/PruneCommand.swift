import ArgumentParser
import Compression
import CrossCheck
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Reports
import Robustness
import SDPBounds

/// `qrobust prune`: prunes a network, and certifies what pruning costs over a box.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Prune a network (by magnitude, by Learn-then-Test on data, or by a coreset of neurons), write it, and certify the worst case over a box.",
        discussion: """
            Examples:
              qrobust prune Examples/moons-relu.json --sparsity 0.5 -o /tmp/moons-pruned.json
              qrobust prune Examples/moons-relu.json --sparsity 0.5 --certify --box=-1:2,-1:1.5
              qrobust prune Examples/moons-relu.json --sparsest --tau 0.05 --box=-1:2,-1:1.5 -o /tmp/sparsest.json
              qrobust prune Examples/zoo/moons-relu-16-s0.json --method coreset --draws 8 --box 0:1,0:1 --certify
              qrobust prune Examples/zoo/moons-relu-16-s0.json --method confident --alpha 0.1 --delta 0.1 \\
                  --calibration Examples/zoo/data/moons-calibration.csv --label-column label -o /tmp/confident.json

            Magnitude pruning (--method magnitude, the default) sets the ⌊s·n⌋ weights of \
            smallest magnitude to zero, across the whole network or per layer (--per-layer); \
            biases are kept unless --include-biases. Ties go to the earlier layer, row and \
            column, so the result is the same on every run; the report gives the sparsity \
            actually reached (weights that were zero already count).

            Confident pruning (--method confident) runs Learn-then-Test over the grid 0, --step, \
            … ≤ --max on the rows of --calibration: each sparsity's loss count (disagreement \
            with the original's class, or --loss error against --label-column) gives a p-value \
            (exact binomial tail, or --p-value hoeffding-bentkus), and fixed-sequence testing \
            certifies sparsities from 0 up while p ≤ --delta: with probability ≥ 1 − δ, the \
            chosen network's risk is ≤ --alpha. No certified sparsity is an answer (exit 1).

            Coreset pruning (--method coreset) keeps, per hidden layer, the neurons of --draws \
            draws made with probability proportional to activation bound over --box × largest \
            outgoing weight, and re-weights their outgoing weights so that the next layer stays \
            unbiased; --seed fixes the draw on every platform.

            --certify runs the global check of the original against the pruned network over \
            --box and reports the certified [lower, upper] of the maximal deviation (lower is a \
            witness replayed exactly). --sparsest --tau T searches the grid 0, --step, 2·--step, \
            … ≤ --max for the largest sparsity whose certified deviation over --box stays ≤ τ, by \
            bisection; a pruned network's deviation need not grow with the sparsity, so \
            --every checks every grid point and names each place where it does not.

            Exit 0 when the pruned network is written (and certified ≤ τ, or some sparsity is \
            found), 1 when --certify with --tau finds a witness above τ or no sparsity is \
            proved, 2 when a limit leaves it unknown.
            """)

    enum Method: String, ExpressibleByArgument, CaseIterable {
        case magnitude, confident, coreset
    }

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "How to prune: magnitude (to --sparsity, or --sparsest), confident (the largest grid sparsity that Learn-then-Test certifies on --calibration data) or coreset (neurons sampled by sensitivity over --box, --draws per layer).")
    var method: Method = .magnitude

    @Option(help: "The fraction of weights to set to zero, 0 to 1.")
    var sparsity: Double?

    @Flag(help: "Prune each layer to the sparsity instead of ranking all weights together.")
    var perLayer = false

    @Flag(help: "Rank the biases with the weights (by default they are kept).")
    var includeBiases = false

    @Option(name: [.short, .customLong("output-file")], help: "Where to write the pruned network; the extension (.onnx, .nnet or .json) picks the format.")
    var outputFile: String?

    @Flag(help: "Certify the worst case of the pruned network against the original over --box.")
    var certify = false

    /// How `--certify` bounds the worst case.
    enum BoundOption: String, ExpressibleByArgument, CaseIterable {
        case global, sdp
    }

    @Option(help: "How --certify bounds the worst case: global (the exact search; lower end a witness) or sdp (CSDP's bound on the squared logit differences, for networks too large for global; lower end sampled). (default: global)")
    var bound: BoundOption = .global

    @Flag(help: "Search the largest sparsity of the grid whose certified deviation over --box stays ≤ --tau.")
    var sparsest = false

    @Option(parsing: .unconditional, help: "The input box in raw units, lo:hi per input (e.g. \"-1:2,-1:1.5\").", transform: BoxOption.parse)
    var box: BoxOption?

    @Option(parsing: .unconditional, help: "The threshold τ > 0: with --certify it decides, with --sparsest it is the bound to keep.",
            transform: ExactNumber.positive)
    var tau: ExactNumber?

    @Option(help: "probability, logit, or flip (does any input of --box change class? no --tau) (default: probability for a classifier, logit otherwise).")
    var metric: Metric?

    @Option(help: "The grid step of --sparsest. (default: 0.05)")
    var step = 0.05

    @Option(help: "The largest sparsity --sparsest considers. (default: 0.95)")
    var max = 0.95

    @Flag(help: "With --sparsest: check every grid point instead of bisecting.")
    var every = false

    @Option(help: "With --method confident: a CSV of calibration inputs (one row per input, as local --inputs reads it).")
    var calibration: String?

    @Option(help: "The column of --calibration holding class labels (needed by --loss error).")
    var labelColumn: String?

    @Option(help: "Multiply every calibration value by this (e.g. 1/255 for pixels).", transform: ExactNumber.positive)
    var inputScale: ExactNumber?

    @Option(help: "With --method confident: the risk level α in (0, 1).", transform: ExactNumber.positive)
    var alpha: ExactNumber?

    @Option(help: "With --method confident: the error probability δ in (0, 1).", transform: ExactNumber.positive)
    var delta: ExactNumber?

    /// The loss of a calibration row.
    enum LossOption: String, ExpressibleByArgument, CaseIterable {
        case disagreement, error, verified
    }

    @Option(help: "With --method confident: disagreement (with the original network's class), error (against the labels), or verified (1 unless qrobust certifies no class change, or a deviation ≤ --verified-tau, in the L∞ ball of --radius around the row).")
    var loss: LossOption = .disagreement

    @Option(help: "With --loss verified: the radius of the ball around each calibration row, in raw input units.", transform: ExactNumber.nonNegative)
    var radius: ExactNumber?

    @Option(help: "With --loss verified: certify the deviation ≤ this τ (under --metric) instead of no class change.", transform: ExactNumber.positive)
    var verifiedTau: ExactNumber?

    @Option(help: "With --method confident: binomial (exact tail) or hoeffding-bentkus.")
    var pValue: LearnThenTest.PValue = .binomial

    @Option(help: "With --method coreset: draws per hidden layer (neurons drawn at least once are kept).")
    var draws: Int?

    @Option(help: "With --method coreset: the seed of the sampling (SplitMix64; the same file on every platform). (default: 1)")
    var seed: UInt64 = 1

    @Option(help: "Largest acceptable width of each certified interval. (default: 1e-4)", transform: ExactNumber.positive)
    var tolerance = ExactNumber(Rational(1, 10_000), written: "1e-4")

    @Option(help: "Boxes searched in parallel, 1 to 256 (the default is the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Time limit in seconds for the whole check or search.", transform: Seconds.positive)
    var timeout: Double?

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        try validateJobs(jobs)
        if let outputFile, NetworkFile.Format(path: outputFile) == nil {
            throw ValidationError("-o must end in .onnx, .nnet or .json, found '\(outputFile)'.")
        }
        if every && !sparsest { throw ValidationError("--every goes with --sparsest.") }
        if bound == .sdp && !certify { throw ValidationError("--bound sdp goes with --certify.") }
        if draws != nil && method != .coreset { throw ValidationError("--draws goes with --method coreset.") }
        // The grid serves --sparsest and --method confident.
        if method != .coreset {
            guard step > 0, step <= 1, max > 0, max <= 1 else { throw ValidationError("--step and --max must lie in (0, 1].") }
        }
        switch method {
        case .coreset:
            guard sparsity == nil, !sparsest, calibration == nil, alpha == nil, delta == nil else {
                throw ValidationError("--method coreset keeps --draws per layer; leave out --sparsity, --sparsest and the calibration options.")
            }
            guard let draws, draws >= 1 else { throw ValidationError("--method coreset needs --draws M (at least 1).") }
            guard box != nil else { throw ValidationError("--method coreset needs --box: the sensitivities are bounded over it.") }
            guard outputFile != nil || certify else { throw ValidationError("Say what to do with the pruned network: -o FILE, --certify, or both.") }
            if !certify && tau != nil { throw ValidationError("--tau goes with --certify.") }
        case .confident:
            guard sparsity == nil, !sparsest else { throw ValidationError("--method confident chooses the sparsity; leave out --sparsity and --sparsest.") }
            guard calibration != nil, alpha != nil, delta != nil else {
                throw ValidationError("--method confident needs --calibration FILE, --alpha A and --delta D.")
            }
            if loss == .error && labelColumn == nil { throw ValidationError("--loss error needs --label-column.") }
            if (loss == .verified) != (radius != nil) { throw ValidationError("--loss verified and --radius go together.") }
            if verifiedTau != nil && loss != .verified { throw ValidationError("--verified-tau goes with --loss verified.") }
            if certify && box == nil { throw ValidationError("--certify needs --box.") }
            if !certify && (box != nil || tau != nil) { throw ValidationError("--box and --tau go with --certify or --sparsest.") }
        case .magnitude:
            if calibration != nil || alpha != nil || delta != nil || radius != nil || verifiedTau != nil {
                throw ValidationError("--calibration, --alpha, --delta, --radius and --verified-tau go with --method confident.")
            }
            guard (sparsity == nil) != !sparsest else {
                throw ValidationError("Give exactly one of --sparsity S or --sparsest.")
            }
            if let sparsity, !(0...1).contains(sparsity) { throw ValidationError("--sparsity must lie between 0 and 1, found \(sparsity).") }
            if sparsity != nil && outputFile == nil && !certify {
                throw ValidationError("Say what to do with the pruned network: -o FILE, --certify, or both.")
            }
            if sparsest && certify { throw ValidationError("--sparsest certifies every sparsity it checks; leave out --certify.") }
            if (certify || sparsest) && box == nil { throw ValidationError("--certify and --sparsest need --box.") }
            if !(certify || sparsest) && (box != nil || tau != nil) { throw ValidationError("--box and --tau go with --certify or --sparsest.") }
            if sparsest && tau == nil && metric != .flip { throw ValidationError("--sparsest needs --tau (or --metric flip).") }
            if metric == .flip && tau != nil { throw ValidationError("--metric flip asks whether any input changes class; leave out --tau.") }
        }
    }

    /// Multiples of --step up to --max, cleaned of binary64 drift (3 · 0.1 is 0.30000000000000004).
    var grid: [Double] {
        let count = Int((max / step + 1e-9).rounded(.down))
        return (0...count).map { Swift.min(1, (Double($0) * step * 1e9).rounded() / 1e9) }
    }

    /// `--certify`: the global check of the original against the pruned network, into the report; the exit code.
    private func certifyPruned(_ pruned: Network, _ network: Network, box: BoxOption, metric: Metric,
                               into report: inout PruneReport) async throws -> Int32 {
        if bound == .sdp {
            let started = Date()
            let deviation = try SDPDeviation.compute(original: network, compressed: pruned, region: box.region, metric: metric,
                                                     tau: tau?.value, timeLimit: timeout,
                                                     memoryLimit: Gigabytes.machineDefault) { message in
                if Date().timeIntervalSince(started) > 1 { printProgress("qrobust: \(message)") }
            }
            var certificate = PruneReport.SDPCertificate(deviation, query: SDPQuery(original: network, compressed: pruned, region: box.region),
                                                         model: modelOptions.model, tau: tau?.written)
            certificate.sdp.box = box.written
            report.sdpBound = certificate
            return answerExitCode(verdict: deviation.verdict, reason: deviation.result.stoppedByLimit ? "the time limit was reached" : nil)
        }
        let query = GlobalQuery(network: network, compression: try .concrete(pruned, comparedWith: network),
                                region: box.region, metric: metric, tau: tau?.value, tolerance: tolerance.value,
                                timeLimit: timeout, jobs: jobs)
        let result = try await GlobalRobustness.check(query) { p in
            if p.seconds > 1 {
                printProgress(String(format: "qrobust: deviation in [%.6g, %.6g], %d boxes open (%.1f s)",
                                     p.lower, p.upper, p.openBoxes, p.seconds))
            }
        }
        var certified = GlobalReport(result: result, query: query, model: modelOptions.model,
                                     compression: "compared with its pruned copy", includeParameters: false)
        certified.box = box.written
        report.certified = certified
        return answerExitCode(verdict: result.verdict, reason: result.reason)
    }

    func run() async throws {
        var code = Exit.robust
        try await reportingErrors {
            let started = Date()
            let network = try modelOptions.load()
            let (perLayer, includeBiases) = (self.perLayer, self.includeBiases)
            let magnitude = { @Sendable (s: Double) throws -> MagnitudePruning in
                try MagnitudePruning(sparsity: s, perLayer: perLayer, includesBiases: includeBiases)
            }
            let prune = { @Sendable (s: Double) throws -> MagnitudePruning.Outcome in try magnitude(s).apply(to: network) }
            let metric = self.metric ?? (network.output == .logits ? .logit : .probability)
            var report = PruneReport(model: modelOptions.model, method: "magnitude pruning", outputFile: outputFile,
                                     pruned: nil, certified: nil, sparsest: nil, seconds: 0)
            if let sparsity {
                let outcome = try prune(sparsity)
                report.method = try magnitude(sparsity).description
                report.pruned = PruneReport.Pruned(outcome, target: sparsity)
                if let outputFile { try NetworkFile.write(outcome.network, to: outputFile) }
                if certify, let box { code = try await certifyPruned(outcome.network, network, box: box, metric: metric, into: &report) }
            } else if method == .coreset, let draws, let box {
                try box.region.validate(inputSize: network.inputSize)
                let coreset = try CoresetPruning(draws: draws, seed: seed)
                let outcome = try coreset.apply(to: network, activationBounds: CoresetPruning.activationBounds(of: network, over: box.region))
                report.method = coreset.description
                report.coreset = PruneReport.Coreset(outcome, method: coreset, original: network)
                if let outputFile { try NetworkFile.write(outcome.network, to: outputFile) }
                if certify { code = try await certifyPruned(outcome.network, network, box: box, metric: metric, into: &report) }
            } else if method == .confident, let calibration, let alpha, let delta {
                let table = try InputTable(contentsOf: calibration, labelColumn: labelColumn, scale: inputScale?.value ?? .one)
                guard table.rows.allSatisfy({ $0.input.count == network.inputSize }) else {
                    let row = table.rows.first { $0.input.count != network.inputSize }!
                    throw QueryError("\(calibration): line \(row.line) has \(row.input.count) inputs, the network takes \(network.inputSize)" + (labelColumn == nil ? " (if a column holds labels, name it with --label-column)" : ""))
                }
                let confident = try ConfidentPruning(grid: grid, alpha: alpha.value, delta: delta.value,
                                                     loss: loss == .error ? .error : .disagreement, pValue: pValue,
                                                     perLayer: perLayer, includesBiases: includeBiases)
                let result: ConfidentPruning.Calibration
                if let radius {
                    let verified = try VerifiedPruningLoss(radius: radius.value, tau: verifiedTau?.value, metric: metric)
                    let inputs = table.rows.map(\.input)
                    var tested = 0
                    result = try confident.calibrate(network, n: inputs.count) { pruned in
                        tested += 1
                        printProgress("qrobust: verifying \(inputs.count) balls at sparsity \(confident.grid[tested - 1])")
                        return try verified.losses(original: network, pruned: pruned, inputs: inputs)
                    }
                } else {
                    result = try confident.calibrate(network, inputs: table.rows.map { $0.input.map(\.approximateDouble) },
                                                     labels: labelColumn == nil ? nil : table.rows.map { $0.label ?? -1 })
                }
                report.method = "confident magnitude pruning, \(perLayer ? "per layer" : "globally")\(includeBiases ? ", biases included" : "")"
                report.calibration = PruneReport.Calibration(result, method: confident)
                if let radius {
                    report.calibration?.loss = "verified: 1 unless " + (verifiedTau.map { "the \(metric.rawValue) deviation ≤ \($0.written)" } ?? "no class change")
                        + " is certified in the L∞ ball of radius \(radius.written)"
                }
                if let chosen = result.chosen {
                    let outcome = try prune(chosen)
                    report.pruned = PruneReport.Pruned(outcome, target: chosen)
                    if let outputFile { try NetworkFile.write(outcome.network, to: outputFile) }
                    if certify, let box { code = try await certifyPruned(outcome.network, network, box: box, metric: metric, into: &report) }
                } else {
                    report.outputFile = nil
                    code = Exit.notRobust
                }
            } else if let box {
                let query = SparsityQuery(network: network, region: box.region, prune: { try prune($0).network }, grid: grid,
                                          metric: metric, tau: tau?.value, tolerance: tolerance.value, checksEvery: every,
                                          timeLimit: timeout, jobs: jobs)
                let result = try await SparsestPruning.search(query) { row in
                    printProgress(String(format: "qrobust: sparsity %.4g: %@ (%.1f s)", row.sparsity, row.verdict.rawValue, row.seconds))
                }
                report.method = "magnitude pruning, \(perLayer ? "per layer" : "globally")\(includeBiases ? ", biases included" : "")"
                report.sparsest = PruneReport.Sparsest(result: result, query: query, box: box.written)
                if let found = result.sparsest {
                    let outcome = try prune(found)
                    report.pruned = PruneReport.Pruned(outcome, target: found)
                    if let outputFile { try NetworkFile.write(outcome.network, to: outputFile) }
                } else {
                    report.outputFile = nil
                    code = result.rows.contains { $0.verdict == .unknown } ? Exit.unknown : Exit.notRobust
                }
            }
            report.seconds = Date().timeIntervalSince(started)
            print(json ? try report.json() : report.text)
        }
        if code != Exit.robust { throw ExitCode(code) }
    }
}

extension ConfidentPruning.Loss: ExpressibleByArgument {}
extension LearnThenTest.PValue: ExpressibleByArgument {}
