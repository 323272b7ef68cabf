import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries

/// A way of storing the weights that the scheme study compares.
public enum StudyScheme: String, Codable, Sendable, CaseIterable {
    /// Fixed point with B fractional bits, rounding to nearest (no clamp).
    case fixedPoint = "fixed"
    /// Affine B-bit integers, symmetric, one scale per weight matrix (PyTorch's min/max rule).
    case intPerTensor = "int-per-tensor"
    /// The same with one scale per output channel.
    case intPerChannel = "int-per-channel"
    /// IEEE half precision (B is not used).
    case float16

    /// For example `int8 per channel`.
    public func label(bits: Int) -> String {
        switch self {
        case .fixedPoint: "fixed point, \(bits) fractional bits"
        case .intPerTensor: "int\(bits) per tensor"
        case .intPerChannel: "int\(bits) per channel"
        case .float16: "float16"
        }
    }

    /// The network rounded by the scheme and the perturbation set of its rounding errors.
    func compress(_ network: Network, bits: Int) throws -> (rounded: Network, set: PerturbationSet) {
        switch self {
        case .fixedPoint:
            let fixed = try FixedPoint(fractionalBits: bits)
            return (try fixed.apply(to: network), fixed.perturbationSet)
        case .intPerTensor, .intPerChannel:
            let affine = try AffineQuantization(bits: bits, perChannel: self == .intPerChannel)
            return (try affine.apply(to: network), try affine.perturbationSet(for: network))
        case .float16:
            return (try FloatFormat.float16.apply(to: network), FloatFormat.float16.perturbationSet)
        }
    }
}

/// The certified global deviations of one scheme on one network.
public struct SchemePoint: Codable, Sendable, Equatable {
    public var scheme: StudyScheme
    /// The one network the scheme rounds to.
    public var rounding: CertifiedInterval
    /// Every network within the scheme's rounding errors.
    public var perturbation: CertifiedInterval
}

/// Everything the scheme study computed for one network (one line of its results file).
public struct SchemeRecord: ZooRecord, Equatable {
    public var entry: ZooEntry
    public var settings: String
    public var schemes: [SchemePoint]
    public var seconds: Double
}

/// The scheme study: for every zoo network, the certified maximal confidence
/// deviation over the zoo's input box under fixed point, affine integers per
/// tensor and per channel, and float16, each as the one rounded network and
/// as the perturbation set (the library call behind `qrobust study schemes`).
public enum SchemeStudy {
    /// Studies every network not already in `resultsFile`; see ``ActivationStudy/run(zoo:configuration:resultsFile:progress:)``.
    /// `configuration.bits` must hold one width B, used by the fixed-point and integer schemes.
    public static func run(zoo: Zoo, configuration: StudyConfiguration, resultsFile: String, shard: Shard? = nil,
                           progress: (@Sendable (_ index: Int, _ count: Int, _ file: String, _ resumed: Bool) -> Void)? = nil)
        async throws -> [SchemeRecord]
    {
        try configuration.validate()
        guard configuration.bits.count == 1, let bits = configuration.bits.first,
              AffineQuantization.supportedBits.contains(bits) else {
            throw StudyError("the scheme study takes one width between 2 and 16, found \(configuration.bits)")
        }
        let settings = signature(configuration, bits: bits)
        return try await ResultsFile.run(zoo: zoo, settings: settings, path: resultsFile, shard: shard, progress: progress) { entry in
            let started = Date()
            let network = try zoo.network(entry)
            guard network.output == .sigmoid else { throw StudyError("\(entry.file): the study needs a sigmoid classifier") }
            let region = ActivationStudy.region(zoo, network)
            var points: [SchemePoint] = []
            for scheme in StudyScheme.allCases {
                let (rounded, set) = try scheme.compress(network, bits: bits)
                let (concrete, _) = try await ActivationStudy.globalDeviation(network, .concrete(rounded), region, configuration)
                let (perturbation, _) = try await ActivationStudy.globalDeviation(network, .perturbation(set), region, configuration)
                points.append(SchemePoint(scheme: scheme, rounding: concrete, perturbation: perturbation))
            }
            return SchemeRecord(entry: entry, settings: settings, schemes: points,
                                seconds: (Date().timeIntervalSince(started) * 10).rounded() / 10)
        }
    }

    /// The settings that change results (not the job count).
    static func signature(_ c: StudyConfiguration, bits: Int) -> String {
        "schemes at \(bits) bits; tolerance \(c.tolerance); \(c.timeLimitPerQuery) s per query"
    }

    /// The table: per activation and scheme, the median (and quartiles) of the certified
    /// upper ends, for the rounded network and the perturbation set, and how many intervals
    /// a time limit left wider than the tolerance.
    public static func table(_ records: [SchemeRecord], bits: Int) -> String {
        var lines = ["| hidden | scheme | networks | rounded network: median upper [q1, q3] | perturbation set: median upper [q1, q3] | stopped by the limit |",
                     "|---|---|---|---|---|---|"]
        for activation in ["relu", "linear"] {
            let group = records.filter { $0.entry.activation == activation }
            guard !group.isEmpty else { continue }
            for scheme in StudyScheme.allCases {
                let points = group.compactMap { $0.schemes.first { $0.scheme == scheme } }
                func cell(_ values: [Double]) -> String {
                    guard let q = StudySummary.quartiles(values) else { return "–" }
                    return "\(StudySummary.format(q.median)) [\(StudySummary.format(q.q1)), \(StudySummary.format(q.q3))]"
                }
                let stopped = points.filter { $0.rounding.reason != nil }.count + points.filter { $0.perturbation.reason != nil }.count
                lines.append("| \(activation) | \(scheme.label(bits: bits)) | \(points.count) | \(cell(points.map(\.rounding.upper))) | "
                             + "\(cell(points.map(\.perturbation.upper))) | \(stopped) of \(2 * points.count) |")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// An SVG dot plot: per scheme, the median certified upper end with a quartile bar, for
    /// ReLU and linear networks, filled for the rounded network and hollow for the perturbation set.
    public static func svg(_ records: [SchemeRecord], bits: Int) -> String {
        let (width, height, left, right, top, bottom) = (720.0, 400.0, 70.0, 190.0, 30.0, 60.0)
        let plotW = width - left - right, plotH = height - top - bottom
        let scale = LogScale(values: records.flatMap { $0.schemes.flatMap { [$0.rounding.upper, $0.perturbation.upper] } },
                             top: top, height: plotH, left: left, width: plotW)
        let y = scale.y
        let schemes = StudyScheme.allCases
        let slot = plotW / Double(schemes.count)
        var svg = LogScale.header(width: width, height: height, left: left,
                                  title: "Certified maximal confidence deviation by storage scheme (\(records.count) networks)") + scale.grid
        svg.append("<text transform=\"translate(16 \(top + plotH / 2)) rotate(-90)\" text-anchor=\"middle\">median upper end, quartile bar</text>")
        let series: [(activation: String, color: String, offset: Double)] = [("relu", "#d95f02", -0.18), ("linear", "#1b9e77", 0.18)]
        for (i, scheme) in schemes.enumerated() {
            let centre = left + slot * (Double(i) + 0.5)
            svg.append("<text x=\"\(centre)\" y=\"\(top + plotH + 18)\" text-anchor=\"middle\">\(scheme.label(bits: bits).replacingOccurrences(of: ", \(bits) fractional bits", with: " (\(bits) fr.)"))</text>")
            for (activation, color, offset) in series {
                let points = records.filter { $0.entry.activation == activation }.compactMap { $0.schemes.first { $0.scheme == scheme } }
                for (model, shift, filled) in [(\SchemePoint.rounding, -0.07, true), (\SchemePoint.perturbation, 0.07, false)] {
                    guard let q = StudySummary.quartiles(points.map { $0[keyPath: model].upper }) else { continue }
                    let x = centre + slot * (offset + shift)
                    svg.append("<line x1=\"\(x)\" y1=\"\(y(q.q1))\" x2=\"\(x)\" y2=\"\(y(q.q3))\" stroke=\"\(color)\" stroke-width=\"2\"/>")
                    svg.append("<circle cx=\"\(x)\" cy=\"\(y(q.median))\" r=\"5\" stroke=\"\(color)\" stroke-width=\"2\" fill=\"\(filled ? color : "white")\"/>")
                }
            }
        }
        let legend = [("ReLU, rounded network", "#d95f02", true), ("linear, rounded network", "#1b9e77", true),
                      ("ReLU, perturbation set", "#d95f02", false), ("linear, perturbation set", "#1b9e77", false)]
        for (i, (label, color, filled)) in legend.enumerated() {
            let yy = top + 20 + Double(i) * 20, xx = left + plotW + 16
            svg.append("<circle cx=\"\(xx)\" cy=\"\(yy)\" r=\"5\" stroke=\"\(color)\" stroke-width=\"2\" fill=\"\(filled ? color : "white")\"/>")
            svg.append("<text x=\"\(xx + 12)\" y=\"\(yy + 4)\" font-size=\"11\">\(label)</text>")
        }
        svg.append("<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"#333\"/>")
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }
}
