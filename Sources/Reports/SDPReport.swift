import CrossCheck
import ExactArithmetic
import Foundation
import NeuralNetwork
import Robustness
import SDPBounds

/// The report of `qrobust sdp`: text for people, JSON for scripts.
/// Every bound in it is certified (rounded up); solver values are labelled as such.
public struct SDPReport: JSONReport {
    public struct Bound: Encodable, Sendable {
        /// Outputs summed (1-based).
        public var outputs: [Int]
        public var certified: Double
        public var boxes: Int
        /// The single SDP over the whole box, and what it was made of.
        public var wholeBoxCertified: Double
        @ExplicitNull public var wholeBoxSolverValue: Double?
        public var intervalBound: Double
        public var ballMultiplier: Double
        public var csdpCode: Int?
        public var csdpMeaning: String?
        public var dimension: Int
        public var unstableReLUs: Int
        public var constraints: Int
        public var pairConstraints: Int
        /// The whole box's SDP: nonzero constraint-matrix entries, and the memory and CSDP time estimated from its size.
        public var matrixEntries: Int?
        /// The order of each PSD block of the whole box's LMI (one when it is not decomposed).
        public var blockOrders: [Int]?
        public var estimatedBytes: Double?
        public var estimatedSeconds: Double?
        /// Why the whole box's SDP was not solved (too large for a limit); absent when it was.
        public var refusal: String?
        /// How many boxes' SDPs had full, layer and diagonal pairs (``NeuronPairs/auto`` chooses box by box).
        public var fullPairBoxes: Int
        public var layerPairBoxes: Int
        public var diagonalPairBoxes: Int
        /// How many boxes' SDPs had a block per hidden layer (``LMIDecomposition/layers``).
        public var layerBlockBoxes: Int
        public var seconds: Double

        init(_ b: SDPBound) {
            outputs = b.outputs.map { $0 + 1 }
            certified = b.certified
            boxes = b.boxes.count
            let w = b.wholeBox
            wholeBoxCertified = w.certified
            wholeBoxSolverValue = w.solverValue
            intervalBound = w.intervalBound
            ballMultiplier = b.boxes.map(\.ballMultiplier).max() ?? 0
            csdpCode = w.status?.code
            csdpMeaning = w.status?.meaning
            dimension = w.dimension
            unstableReLUs = w.unstableReLUs
            constraints = w.constraints
            pairConstraints = w.pairConstraints
            matrixEntries = w.cost?.entries
            blockOrders = w.cost?.blockOrders
            estimatedBytes = w.cost?.bytes
            estimatedSeconds = w.cost?.seconds
            refusal = w.refusal
            fullPairBoxes = b.boxes.filter { $0.pairs == .full }.count
            layerPairBoxes = b.boxes.filter { $0.pairs == .layer }.count
            diagonalPairBoxes = b.boxes.filter { $0.pairs == .diagonal }.count
            layerBlockBoxes = b.boxes.filter { $0.decomposition == .layers }.count
            seconds = b.seconds
        }

        /// "full pairs", "diagonal pairs", or for `auto` what it chose; then the LMI's blocks when it has layer blocks.
        func pairsText(_ asked: NeuronPairs) -> String {
            let counts = [(fullPairBoxes, "full"), (layerPairBoxes, "layer"), (diagonalPairBoxes, "diagonal")]
                .filter { $0.0 > 0 }
            var text: String
            if asked != .auto {
                text = "\(asked.rawValue) pairs"
            } else if counts.isEmpty {
                text = "auto pairs (no SDP built)"
            } else if counts.count == 1 {
                text = "auto pairs: \(counts[0].1)"
            } else {
                text = "auto pairs: " + counts.map { "\($0.1) on \($0.0)" }.joined(separator: ", ") + " boxes"
            }
            return layerBlockBoxes > 0 ? text + ", layer blocks" : text
        }
    }

    public var command = "sdp"
    public var model: String
    public var compressed: String
    public var box: [[String]]
    /// Where the box came from when not from `--box` (a VNN-LIB file and what of it was ignored); absent otherwise.
    public var boxSource: String?
    public var inputQuantization: String
    public var pairs: NeuronPairs
    public var squaredNorm: Bound
    public var perOutput: [Bound]
    @ExplicitNull public var crossCheck: CrossCheckReport?
    public var exported: [String]
    public var notes: [String]
    public var seconds: Double

    public init(result: SDPResult, query: SDPQuery, model: String, compressed: String,
                crossCheck: CrossCheckResult? = nil, exported: [String] = []) {
        self.model = model
        self.compressed = compressed
        box = zip(query.region.lower, query.region.upper).map { [$0.description, $1.description] }
        inputQuantization = query.inputQuantization.description
        pairs = query.pairs
        squaredNorm = Bound(result.squaredNorm)
        perOutput = result.perOutput.map(Bound.init)
        self.crossCheck = crossCheck.map(CrossCheckReport.init)
        self.exported = exported
        notes = result.notes
        seconds = crossCheck?.seconds ?? result.seconds
    }

    /// The human-readable report.
    public var text: String {
        let boxText = box.map { "\($0[0]):\($0[1])" }.joined(separator: ",")
        var lines = ["qrobust sdp: \(model) against \(compressed) over \(boxText)"
                     + (inputQuantization == "0" ? "" : ", input quantisation |x₂ − x₁| ≤ \(inputQuantization)")]
        if let boxSource { lines.append("box: \(boxSource)") }
        func describe(_ b: Bound, _ name: String) {
            lines.append("\(name) ≤ \(Self.number(b.certified))  certified (\(counted(b.boxes, "box", "boxes")), \(b.pairsText(pairs)), \(String(format: "%.2f", b.seconds)) s)")
            if b.boxes > 1 {
                lines.append("  one SDP over the whole box: ≤ \(Self.number(b.wholeBoxCertified))")
            }
            let status = b.csdpCode.map { "CSDP \($0) (\(b.csdpMeaning ?? "")), optimum \(b.wholeBoxSolverValue.map(Self.number) ?? "none"); " } ?? ""
            if let refusal = b.refusal {
                lines.append("  not solved over the whole box: \(refusal)")
            } else {
                let size = b.matrixEntries.map { ", \($0) matrix entries" } ?? ""
                let blocks = (b.blockOrders?.count ?? 1) > 1
                    ? " in \(b.blockOrders!.count) blocks of order ≤ \(b.blockOrders!.max()!)" : ""
                lines.append("  \(status)LMI of order \(b.dimension)\(blocks), \(b.constraints) quadratic constraints (\(b.pairConstraints) on pairs)\(size), \(b.unstableReLUs) unstable ReLUs")
            }
            lines.append("  Bounds module alone: ≤ \(Self.number(b.intervalBound))")
        }
        describe(squaredNorm, "‖f₁(x₁) − f₂(x₂)‖²")
        for b in perOutput { describe(b, "(f₁ − f₂)_\(b.outputs[0])²") }
        if let c = crossCheck {
            lines.append("cross-check of max_i (f₂ − f₁)_i²:")
            lines.append("  sampled (replayed exactly)  \(Self.number(c.sampled))")
            lines.append("  SMT exact                   [\(Self.number(c.smtLower)), \(Self.number(c.smtUpper))]"
                         + (c.smtReason.map { " (\($0))" } ?? ""))
            lines.append("  SDP certified               \(Self.number(c.sdp))")
            lines.append(c.consistent ? "  consistent: sampled ≤ SMT ≤ SDP"
                                      : "  INCONSISTENT: the three answers are out of order; please report this as a bug")
        }
        for file in exported { lines.append("wrote \(file)") }
        for note in notes { lines.append("note: \(note)") }
        return lines.joined(separator: "\n")
    }

    private static func number(_ x: Double) -> String { String(format: "%.6g", x) }
}

/// The cross-check as the JSON report gives it (without the SDP result, which
/// the report carries itself), with an absent SMT reason as explicit `null`.
public struct CrossCheckReport: Encodable, Sendable {
    public var quantity = "max_i (f2 - f1)_i^2"
    public var sampled: Double
    public var sampledPoint: [Double]
    public var smtLower: Double
    public var smtUpper: Double
    @ExplicitNull public var smtReason: String?
    public var sdp: Double
    public var consistent: Bool
    public var seconds: Double

    init(_ c: CrossCheckResult) {
        sampled = c.sampled
        sampledPoint = c.sampledPoint
        smtLower = c.smtLower
        smtUpper = c.smtUpper
        smtReason = c.smtReason
        sdp = c.sdp
        consistent = c.isConsistent
        seconds = c.seconds
    }
}
