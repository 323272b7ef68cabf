import ArgumentParser
import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Reports
import Robustness
import Synchronization

extension BitsModel: ExpressibleByArgument {}

/// `qrobust bits`: the fewest bits (fixed point or affine integers) that keep the deviation under τ.
struct BitsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bits",
        abstract: "The fewest bits k for which the property holds at τ, with the table k → verdict.",
        discussion: """
            Examples:
              qrobust bits Examples/moons-relu.json --input 0.5,0.25 --tau 0.05
              qrobust bits Examples/moons-relu.json --box -1:2,-1:1.5 --tau 0.05 \\
                  --compression-model concrete --range 2:10
              qrobust bits Examples/moons-relu.json --input 0.5,0.25 --tau 0.05 --scheme int --per-channel

            k counts fractional bits of fixed point (--scheme fixed, the default; k in 0–52) or the \
            bits of affine integers as PyTorch and ONNX Runtime store weights (--scheme int, with \
            --per-channel, --asymmetric or --restricted-range as for --int B elsewhere; k in 2–16).

            With --compression-model perturbation (the default) the property is monotone in k, so the search \
            bisects the range and the answer holds for every quantiser with k fractional bits or \
            more. With --compression-model concrete every k in the range is checked, because robustness of \
            the one rounded network is not monotone in k; the whole table is printed.

            Exit 0 when some k is proved robust, 1 when none is, 2 when the answer is uncertain \
            (an unknown row).
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(parsing: .unconditional, help: "Ask at this input (comma separated, exact decimals or fractions).",
            transform: PointOption.parse)
    var input: PointOption?

    @Option(parsing: .unconditional, help: "Ask over this box of raw inputs: lo:hi for each input (e.g. \"-1:2,-1:1.5\").",
            transform: BoxOption.parse)
    var box: BoxOption?

    @Option(parsing: .unconditional, help: "The threshold τ > 0 (not with --metric flip, which asks whether the class changes).",
            transform: ExactNumber.positive)
    var tau: ExactNumber?

    @Option(help: "The bit widths to consider, lo:hi (between 0 and 52 for fixed point, 2 and 16 for integers). (default: 1:16, integers 2:16)",
            transform: Self.bitRange)
    var range: ClosedRange<Int>?

    /// What k counts.
    enum SchemeName: String, ExpressibleByArgument, CaseIterable {
        case fixed, int
    }

    @Option(help: "fixed (k fractional bits of fixed point) or int (k-bit affine integers, a scale per tensor or per channel).")
    var scheme: SchemeName = .fixed

    @Flag(help: "With --scheme int: one scale (and zero point) per output channel instead of per weight matrix.")
    var perChannel = false

    @Flag(help: "With --scheme int: unsigned range [0, 2^k − 1] with a zero point, instead of symmetric (z = 0).")
    var asymmetric = false

    @Flag(help: "With --scheme int, symmetric: the range [−(2^(k−1) − 1), 2^(k−1) − 1] (ONNX Runtime, TFLite) instead of PyTorch's full one.")
    var restrictedRange = false

    @Option(name: .customLong("compression-model"),
            help: "perturbation (every quantiser within the rounding error; bisection) or concrete (the one rounded network; every k).")
    var kindOption: BitsModel?

    /// The old spelling of --compression-model, still accepted.
    @Option(name: .customLong("model"), help: .hidden)
    var legacyKind: BitsModel?

    /// The model of compression asked for, under either spelling.
    var kind: BitsModel { kindOption ?? legacyKind ?? .perturbation }

    @Option(help: "Rounding for fixed point: nearest (error ≤ 2^-(k+1)) or truncate (toward zero, error < 2^-k). Integers round half to even.")
    var rounding: Rounding?

    @Option(help: "probability (needs a classifier) or logit.")
    var metric: Metric?

    @Option(help: "Boxes searched in parallel (with --box), 1 to 256 (the default is the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Time limit in seconds for the whole search.", transform: Seconds.positive)
    var timeout: Double?

    @OptionGroup var dump: DumpOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        guard (input == nil) != (box == nil) else { throw ValidationError("Give exactly one of --input or --box.") }
        if metric == .flip && tau != nil {
            throw ValidationError("--metric flip asks whether the class changes; leave out --tau.")
        }
        if metric != .flip && tau == nil { throw ValidationError("bits needs --tau T (or --metric flip).") }
        if scheme == .int && rounding != nil {
            throw ValidationError("--rounding is for fixed point; integers round half to even, as ONNX QuantizeLinear does.")
        }
        if scheme == .fixed && (perChannel || asymmetric || restrictedRange) {
            throw ValidationError("--per-channel, --asymmetric and --restricted-range go with --scheme int.")
        }
        if asymmetric && restrictedRange {
            throw ValidationError("--restricted-range is for symmetric quantisation; leave out --asymmetric.")
        }
        if scheme == .int, let range, !AffineQuantization.supportedBits.contains(range.lowerBound)
            || !AffineQuantization.supportedBits.contains(range.upperBound) {
            throw ValidationError("with --scheme int the widths must lie between 2 and 16, found \(range.lowerBound):\(range.upperBound).")
        }
        try validateJobs(jobs)
    }

    /// `--range lo:hi` with 0 ≤ lo ≤ hi ≤ 52.
    private static func bitRange(_ argument: String) throws -> ClosedRange<Int> {
        let ends = argument.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard ends.count == 2, let lo = ends[0], let hi = ends[1], 0 <= lo, lo <= hi,
              FixedPoint.supportedBits.contains(hi) else {
            throw ValidationError("expected lo:hi with 0 ≤ lo ≤ hi ≤ 52")
        }
        return lo...hi
    }

    func run() async throws {
        var code = Exit.robust
        try await reportingErrors {
            let network = try modelOptions.load()
            let scope: BitsScope, written: String  // the input or box as the user wrote it
            if let input {
                (scope, written) = (.local(input: input.values), "input (" + input.written.joined(separator: ", ") + ")")
            } else if let box {
                (scope, written) = (.global(box.region), "box " + box.written.map { $0.joined(separator: ":") }.joined(separator: ","))
            } else {
                throw ValidationError("Give exactly one of --input or --box.")
            }
            let bitsScheme: BitsScheme = scheme == .fixed ? .fixedPoint(rounding ?? .nearest)
                : .affine(perChannel: perChannel, symmetric: !asymmetric, restrictedRange: restrictedRange)
            let query = BitsQuery(network: network, scope: scope, model: kind, scheme: bitsScheme,
                                  metric: metric ?? (network.output == .logits ? .logit : .probability),
                                  tau: tau?.value, range: range ?? (scheme == .fixed ? 1...16 : AffineQuantization.supportedBits),
                                  timeLimit: timeout, jobs: jobs)
            let start = Date()
            let stop = HardStop(limit: timeout)
            let rows = Mutex<[BitsRow]>([])
            let result = try await dump.around { try await FewestBits.search(query) { row in
                if Date().timeIntervalSince(start) > 1 {
                    printProgress(String(format: "qrobust: %d bits: %@ (%.1f s)", row.bits, row.verdict.rawValue, row.seconds))
                }
                let done = rows.withLock { $0.append(row); return $0 }
                var report = BitsReport(result: .provisional(done, seconds: Date().timeIntervalSince(start)), query: query,
                                        model: modelOptions.model)
                report.scope = written
                if timeout != nil, let text = json ? try? report.json() : report.text { stop.update(text) }
            } }
            var report = BitsReport(result: result, query: query, model: modelOptions.model)
            report.scope = written
            let text = json ? try report.json() : report.text
            stop.finish()
            print(text)
            code = result.fewest == nil ? (result.rows.contains { $0.verdict == .unknown } ? Exit.unknown : Exit.notRobust)
                : (result.isUncertain ? Exit.unknown : Exit.robust)
        }
        if code != Exit.robust { throw ExitCode(code) }
    }
}
