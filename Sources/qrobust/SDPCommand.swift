import ArgumentParser
import CrossCheck
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries
import Reports
import SDPBounds

extension NeuronPairs: ExpressibleByArgument {}
extension LMIDecomposition: ExpressibleByArgument {}

/// `qrobust sdp`: a certified bound on the squared output error by semidefinite programming.
struct SDPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sdp",
        abstract: "A certified bound on ‖f₁(x₁) − f₂(x₂)‖² over an input box, by semidefinite programming (CSDP).",
        discussion: """
            Examples:
              qrobust sdp quant_original.nnet --compressed quant_q2.nnet --box -1:1 \\
                  --input-quantization 0.25
              qrobust sdp prune_original.nnet --compressed prune_pruned.nnet --box -1:1 \\
                  --pairs diagonal --cross-check
              qrobust sdp Examples/moons-relu.json --bits 4 --box -1:2,-1:1.5 \\
                  --export moons.dat-s

            The outputs compared are the networks' last-layer values (logits, before any sigmoid \
            or softmax). x₁ ranges over the box (raw units, through the model's input \
            normalisation); with --input-quantization C the compressed network's input x₂ may \
            differ from x₁ by up to C per input, otherwise x₂ = x₁. The compressed network is a \
            second file (--compressed) or the one rounded network (--bits, --precision): the SDP \
            needs concrete weights.

            Both networks' ReLUs go on one vector with quadratic constraints (ReLU, slope \
            constraints on pairs of neurons, the input box, the quantisation, and the ranges the \
            bound propagation finds); CSDP finds multipliers, and the bound is then proved \
            without trusting CSDP: M(y) is rebuilt from the exact weights with interval entries \
            and −M(y) ⪰ 0 is checked by a Cholesky factorisation with a rigorous residual. The \
            box is split (--boxes) where the bound is largest; the bound is the largest over the \
            boxes.

            Before a box's SDP is built, its memory and CSDP's time are estimated from its size \
            (order, constraints, matrix entries; the report shows them). An SDP over \
            --memory-limit, or clearly beyond the time left under --timeout, is not solved: the \
            box keeps the bound propagation's bound, a note states the estimate, and the exit \
            code is 2.

            --pairs full puts a slope constraint on every pair of unstable ReLUs (O(N²) \
            multipliers: seconds for N = 20 per network); layer on every pair within one \
            layer; diagonal only on neuron k of each network with neuron k of the other, when \
            either is unstable (O(N), looser per SDP, about as tight once the box is split); \
            auto (the default) chooses box by box: full up to 1000 pairs (about 45 unstable \
            ReLUs in the two networks), diagonal beyond, and the report says which.

            --decomposition layers gives every hidden neuron that is not always 0 a \
            coordinate and splits the LMI into one block per hidden layer (the layer and the \
            one before it, both networks), tied by equalities on what consecutive blocks share. \
            The pattern is chordal, so the bound is that of one block with the same pairs; \
            full pairs cross layers and are not allowed with it. With CSDP it is slower on \
            every pair measured (its equalities grow with the square of a layer's width), so \
            none, one dense block, is the default; layers is there for --export to solvers \
            that exploit blocks.

            --cross-check also measures the same quantity by sampling and by the exact \
            SMT search (qrobust global) and prints sampled ≤ SMT ≤ SDP side by side.

            Exit codes: 0 bound certified, 2 bound certified but a limit cut the work short (a \
            CSDP solve stopped, an SDP refused as too large, fewer boxes than asked), 64 usage \
            error, 65 bad input, 70 CSDP's answer could not be certified or the cross-check \
            found the three answers out of order (a bug).
            """)

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var scheme: RoundingOptions

    @Option(help: "A second model file to compare with (same inputs, outputs and input normalisation; hidden sizes may differ).")
    var compressed: String?

    @OptionGroup var box: BoxSourceOptions

    @Option(help: "full (every pair of unstable ReLUs), layer (every pair within a layer), diagonal (neuron k of one network with neuron k of the other), or auto: full up to 1000 pairs on a box, diagonal beyond.")
    var pairs: NeuronPairs = .auto

    @Option(help: "none (one dense LMI block) or layers (a block per hidden layer, tied by equalities; not with --pairs full).")
    var decomposition: LMIDecomposition = .none

    @Option(parsing: .unconditional, help: "C ≥ 0: the compressed network's input may differ by up to C per raw input (decimal or fraction). (default: 0)",
            transform: ExactNumber.nonNegative)
    var inputQuantization = ExactNumber(.zero, written: "0")

    @Option(help: "Split the box into at most this many boxes, always halving the one with the largest bound (1: a single SDP).")
    var boxes: Int = 16

    @Option(help: "Write each SDP solved in SDPA sparse format (.dat-s); with several, -norm-boxK / -outputI-boxK is added to the name.")
    var export: String?

    @Flag(help: "Also measure the largest squared output difference by sampling and by the exact SMT search, and check sampled ≤ SMT ≤ SDP.")
    var crossCheck = false

    @Option(help: "Time limit in seconds for the splitting, each CSDP solve (its process is stopped) and the SMT search of --cross-check.",
            transform: Seconds.positive)
    var timeout: Double?

    @Option(help: ArgumentHelp("Memory in GB one box's SDP may take, by the estimate made before it is built; a larger one is not solved and the box keeps the bound propagation's bound. (default: 3/4 of this machine's memory)",
                               valueName: "GB"),
            transform: Gigabytes.positive)
    var memoryLimit: Double?

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        guard scheme.schemeCount + (compressed == nil ? 0 : 1) == 1 else {
            throw ValidationError("Choose exactly one compression: --compressed FILE, --bits K, --precision float16|bfloat16 or --int B.")
        }
        guard boxes >= 1 else { throw ValidationError("--boxes must be at least 1, found \(boxes).") }
    }

    func run() async throws {
        var inconsistent = false, stopped = false
        try await reportingErrors {
            if let export {
                // Checked before the solves, which can take a while.
                let folder = URL(fileURLWithPath: export).deletingLastPathComponent().path
                guard FileManager.default.isWritableFile(atPath: folder) else {
                    throw ModelError(file: export, place: "", problem: "cannot write: \(folder) is not a writable folder")
                }
            }
            let network = try modelOptions.load()
            let other: Network, description: String
            if let compressed {
                other = try NetworkFile.load(compressed)
                description = compressed
            } else {
                guard let (rounded, scheme) = try scheme.round(network) else {
                    throw ValidationError("Choose exactly one compression: --compressed FILE, --bits K or --precision float16|bfloat16.")
                }
                other = rounded
                description = "the rounded network (\(scheme))"
            }
            let (region, written, source) = try box.resolve()
            let query = SDPQuery(original: network, compressed: other, region: region,
                                 inputQuantization: inputQuantization.value, pairs: pairs,
                                 decomposition: decomposition, boxes: boxes,
                                 timeLimit: timeout, memoryLimit: memoryLimit ?? Gigabytes.machineDefault)
            let start = Date()
            // Progress on stderr, only once the run has taken more than a second.
            let progress: @Sendable (String) -> Void = { if Date().timeIntervalSince(start) > 1 { printProgress("qrobust: \($0)") } }
            let result: SDPResult, check: CrossCheckResult?
            if crossCheck {
                let c = try await CrossCheck.run(query, timeLimit: timeout, progress: progress)
                (result, check) = (c.sdpResult, c)
            } else {
                (result, check) = (try SDPErrorBound.compute(query, progress: progress), nil)
            }
            let exported = try export.map { try result.exportSDPA(to: $0) } ?? []
            var report = SDPReport(result: result, query: query, model: modelOptions.model, compressed: description,
                                   crossCheck: check, exported: exported)
            report.box = written  // as the user wrote it (the query holds the exact values)
            report.boxSource = source
            print(json ? try report.json() : report.text)
            inconsistent = check.map { !$0.isConsistent } ?? false
            stopped = result.stoppedByLimit
        }
        if inconsistent { throw ExitCode(Exit.internalError) }
        if stopped { throw ExitCode(Exit.unknown) }
    }
}
