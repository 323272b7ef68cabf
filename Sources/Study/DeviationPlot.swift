import Foundation

/// An SVG line plot of the certified deviation (upper ends) against the width,
/// per activation: medians as lines, quartiles as bands; solid for the rounded
/// network, dashed for the perturbation set. The y axis is logarithmic.
public enum DeviationPlot {
    public static func svg(_ records: [NetworkRecord]) -> String {
        let bits = records.first?.rounding.map(\.bits) ?? []
        let (width, height, left, right, top, bottom) = (720.0, 420.0, 70.0, 200.0, 30.0, 50.0)
        let plotW = width - left - right, plotH = height - top - bottom
        let scale = LogScale(values: records.flatMap { ($0.rounding + $0.perturbation).map(\.deviation.upper) },
                             top: top, height: plotH, left: left, width: plotW)
        func x(_ k: Int) -> Double {
            guard let first = bits.first, let last = bits.last, last > first else { return left + plotW / 2 }
            return left + plotW * Double(k - first) / Double(last - first)
        }
        let y = scale.y
        var svg = LogScale.header(width: width, height: height, left: left,
                                  title: "Certified maximal confidence deviation over [0, 1]^d (\(records.count) networks)") + scale.grid
        for k in bits {
            svg.append("<text x=\"\(x(k))\" y=\"\(top + plotH + 18)\" text-anchor=\"middle\">\(k)</text>")
        }
        svg.append("<text x=\"\(left + plotW / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">fractional bits k (fixed point, round to nearest)</text>")
        svg.append("<text transform=\"translate(16 \(top + plotH / 2)) rotate(-90)\" text-anchor=\"middle\">median upper end, quartile band</text>")
        let series: [(String, String, KeyPath<NetworkRecord, [BitsPoint]>, String)] = [
            ("relu", "#d95f02", \.rounding, ""), ("linear", "#1b9e77", \.rounding, ""),
            ("relu", "#d95f02", \.perturbation, "6 4"), ("linear", "#1b9e77", \.perturbation, "6 4"),
        ]
        for (activation, color, scheme, dash) in series {
            let group = records.filter { $0.entry.activation == activation }
            let stats = bits.compactMap { k -> (Int, (q1: Double, median: Double, q3: Double))? in
                StudySummary.quartiles(group.compactMap { $0[keyPath: scheme].first { $0.bits == k }?.deviation.upper }).map { (k, $0) }
            }
            guard !stats.isEmpty else { continue }
            let band = stats.map { "\(x($0.0)),\(y($0.1.q3))" } + stats.reversed().map { "\(x($0.0)),\(y($0.1.q1))" }
            svg.append("<polygon points=\"\(band.joined(separator: " "))\" fill=\"\(color)\" fill-opacity=\"0.12\" stroke=\"none\"/>")
            let line = stats.map { "\(x($0.0)),\(y($0.1.median))" }.joined(separator: " ")
            svg.append("<polyline points=\"\(line)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")/>")
        }
        let legend = [("ReLU, rounded network", "#d95f02", ""), ("linear, rounded network", "#1b9e77", ""),
                      ("ReLU, perturbation set", "#d95f02", "6 4"), ("linear, perturbation set", "#1b9e77", "6 4")]
        for (i, (label, color, dash)) in legend.enumerated() {
            let yy = top + 20 + Double(i) * 20, xx = left + plotW + 12
            svg.append("<line x1=\"\(xx)\" y1=\"\(yy)\" x2=\"\(xx + 24)\" y2=\"\(yy)\" stroke=\"\(color)\" stroke-width=\"2\"\(dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")/>")
            svg.append("<text x=\"\(xx + 30)\" y=\"\(yy + 4)\" font-size=\"11\">\(label)</text>")
        }
        svg.append("<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"#333\"/>")
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }
}
