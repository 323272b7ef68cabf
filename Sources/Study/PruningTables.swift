import Foundation

extension PruningStudy {
    /// The groups of the records, in order of first appearance.
    static func groups(_ records: [PruningRecord]) -> [(name: String, records: [PruningRecord])] {
        var names: [String] = []
        for record in records where !names.contains(record.group) { names.append(record.group) }
        return names.map { name in (name, records.filter { $0.group == name }) }
    }

    /// The median of a column, with its quartiles when `spread`.
    private static func cell(_ values: [Double], spread: Bool = true) -> String {
        guard let q = StudySummary.quartiles(values) else { return "–" }
        let median = StudySummary.format(q.median)
        return spread ? "\(median) [\(StudySummary.format(q.q1)), \(StudySummary.format(q.q3))]" : median
    }

    /// Both tables under their headings: what `study pruning` prints and writes to pruning.md.
    public static func report(_ records: [PruningRecord]) -> String {
        """
        ## Deviation against sparsity

        Medians over the subjects, quartiles in brackets. `reached` is the fraction of the original's \
        weights not stored; `certified upper` is proved over the region (a time limit leaves it wider); \
        `sampled` is the largest of the sampled deviations, replayed exactly; `theoretical` is the \
        coreset's chained Hoeffding bound, per input and with probability 0.95 (above 1 it says nothing \
        about a probability).

        \(table(records))

        ## Confident pruning (Learn-then-Test, disagreement loss)

        The chosen sparsity is the largest of the grid that fixed-sequence testing certifies; its \
        certified deviation is the magnitude row of that sparsity.

        \(confidentTable(records))
        """
    }

    /// The deviation table: per group and target sparsity, the medians (quartiles in
    /// brackets) of the sparsity reached, the certified upper end and the sampled
    /// deviation of magnitude and coreset pruning, and the coreset's theoretical bound.
    public static func table(_ records: [PruningRecord]) -> String {
        var lines = ["| subjects | metric | target | magnitude: reached | magnitude: certified upper | magnitude: sampled "
                     + "| coreset: reached | coreset: certified upper | coreset: sampled | coreset: theoretical | stopped by the limit |",
                     "|---|---|---|---|---|---|---|---|---|---|---|"]
        for (name, group) in groups(records) {
            for (i, target) in (group.first?.magnitude.map(\.target) ?? []).enumerated() {
                let magnitude = group.compactMap { $0.magnitude.indices.contains(i) ? $0.magnitude[i] : nil }
                let coreset = group.compactMap { $0.coreset.indices.contains(i) ? $0.coreset[i] : nil }
                let stopped = (magnitude + coreset).filter { $0.certified.reason != nil }.count
                lines.append("| \(name) (\(group.count)) | \(group[0].metric) | \(target) "
                             + "| \(cell(magnitude.map(\.reached), spread: false)) | \(cell(magnitude.map(\.certified.upper))) "
                             + "| \(cell(magnitude.map(\.sampled), spread: false)) | \(cell(coreset.map(\.reached), spread: false)) "
                             + "| \(cell(coreset.map(\.certified.upper))) | \(cell(coreset.map(\.sampled), spread: false)) "
                             + "| \(cell(coreset.compactMap(\.theoretical), spread: false)) | \(stopped) of \(magnitude.count + coreset.count) |")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The confident-pruning table: per group and α, how many subjects got a certified
    /// sparsity, the chosen sparsities, the certified deviation there (the magnitude
    /// point of that sparsity), and how many held-out risks stayed ≤ α.
    public static func confidentTable(_ records: [PruningRecord]) -> String {
        var lines = ["| subjects | α | some sparsity certified | chosen sparsity: median [min, max] | certified upper at it: median "
                     + "| held-out disagreement ≤ α |",
                     "|---|---|---|---|---|---|"]
        for (name, group) in groups(records) {
            for (i, alpha) in (group.first?.confident.map(\.alpha) ?? []).enumerated() {
                let points = group.compactMap { record in record.confident.indices.contains(i) ? (record, record.confident[i]) : nil }
                let chosen = points.compactMap { record, point in point.chosen.map { (record, $0) } }
                let sparsities = chosen.map(\.1)
                let deviations = chosen.compactMap { record, s in record.magnitude.first { $0.target == s }?.certified.upper }
                let risks = points.compactMap(\.1.heldOutRisk)
                let range = sparsities.isEmpty ? "–" : "\(cell(sparsities, spread: false)) [\(sparsities.min()!), \(sparsities.max()!)]"
                lines.append("| \(name) (\(group.count)) | \(alpha) | \(chosen.count) of \(points.count) | \(range) "
                             + "| \(cell(deviations, spread: false)) | \(risks.isEmpty ? "no held-out set" : "\(risks.filter { $0 <= alpha }.count) of \(risks.count)") |")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// An SVG plot, one panel per group: the median deviation against the median
    /// sparsity reached, certified (solid) and sampled (dotted) for magnitude and
    /// coreset pruning, the coreset's theoretical bound (dashed), and confident
    /// pruning's median choice at each α (diamonds, on the magnitude curve).
    public static func svg(_ records: [PruningRecord]) -> String {
        let groups = groups(records)
        let (panelW, height, left, gap, top, bottom) = (300.0, 420.0, 70.0, 40.0, 50.0, 90.0)
        let width = left + Double(groups.count) * (panelW + gap) + 10
        let plotH = height - top - bottom
        var svg = LogScale.header(width: width, height: height, left: left,
                                  title: "Maximal deviation against sparsity: certified, sampled and theoretical (\(records.count) subjects)")
        let magnitudeColor = "#d95f02", coresetColor = "#7570b3", confidentColor = "#1b9e77"
        for (p, (name, group)) in groups.enumerated() {
            let x0 = left + Double(p) * (panelW + gap)
            func x(_ s: Double) -> Double { x0 + panelW * s }
            let all = group.flatMap { ($0.magnitude + $0.coreset).flatMap { [$0.certified.upper, $0.sampled] + [$0.theoretical].compactMap { $0 } } }
            // Deviations below 1e-4 (pruned weights that were ~0 already) sit on the bottom line.
            let scale = LogScale(values: all.map { max($0, 1e-4) }, top: top, height: plotH, left: x0, width: panelW)
            svg += scale.grid
            for s in [0.0, 0.25, 0.5, 0.75, 1.0] {
                svg.append("<text x=\"\(x(s))\" y=\"\(top + plotH + 18)\" text-anchor=\"middle\">\(s)</text>")
            }
            svg.append("<text x=\"\(x0 + panelW / 2)\" y=\"\(top - 8)\" text-anchor=\"middle\">\(name) (\(group.count), \(group[0].metric) metric)</text>")
            svg.append("<text x=\"\(x0 + panelW / 2)\" y=\"\(top + plotH + 36)\" text-anchor=\"middle\">sparsity reached (weights not stored)</text>")
            let targets = group[0].magnitude.map(\.target)
            func curve(_ points: KeyPath<PruningRecord, [PruningPoint]>, _ value: (PruningPoint) -> Double?, color: String, dash: String) {
                let stats = targets.indices.compactMap { i -> (Double, Double)? in
                    let column = group.compactMap { $0[keyPath: points].indices.contains(i) ? $0[keyPath: points][i] : nil }
                    guard let reached = StudySummary.quartiles(column.map(\.reached))?.median,
                          let median = StudySummary.quartiles(column.compactMap(value))?.median else { return nil }
                    return (reached, median)
                }
                guard !stats.isEmpty else { return }
                let line = stats.map { "\(x($0.0)),\(scale.y($0.1))" }.joined(separator: " ")
                svg.append("<polyline points=\"\(line)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")/>")
            }
            curve(\.magnitude, { $0.certified.upper }, color: magnitudeColor, dash: "")
            curve(\.magnitude, { $0.sampled }, color: magnitudeColor, dash: "2 3")
            curve(\.coreset, { $0.certified.upper }, color: coresetColor, dash: "")
            curve(\.coreset, { $0.sampled }, color: coresetColor, dash: "2 3")
            curve(\.coreset, \.theoretical, color: coresetColor, dash: "8 4")
            for (i, alpha) in (group[0].confident.map(\.alpha)).enumerated() {
                let chosen = group.compactMap { record -> (Double, Double)? in
                    guard record.confident.indices.contains(i), let s = record.confident[i].chosen,
                          let point = record.magnitude.first(where: { $0.target == s }) else { return nil }
                    return (point.reached, point.certified.upper)
                }
                guard let s = StudySummary.quartiles(chosen.map(\.0))?.median,
                      let d = StudySummary.quartiles(chosen.map(\.1))?.median else { continue }
                let (cx, cy) = (x(s), scale.y(d))
                svg.append("<path d=\"M \(cx) \(cy - 6) L \(cx + 6) \(cy) L \(cx) \(cy + 6) L \(cx - 6) \(cy) Z\" fill=\"\(confidentColor)\"/>")
                svg.append("<text x=\"\(cx + 8)\" y=\"\(cy - 6)\" font-size=\"10\" fill=\"\(confidentColor)\">α \(alpha)</text>")
            }
            svg.append("<rect x=\"\(x0)\" y=\"\(top)\" width=\"\(panelW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"#333\"/>")
        }
        let legend = [("magnitude, certified", magnitudeColor, ""), ("magnitude, sampled", magnitudeColor, "2 3"),
                      ("coreset, certified", coresetColor, ""), ("coreset, sampled", coresetColor, "2 3"),
                      ("coreset, theoretical (per input)", coresetColor, "8 4")]
        for (i, (label, color, dash)) in legend.enumerated() {
            let xx = left + Double(i % 3) * 250, yy = height - 30 + Double(i / 3) * 16
            svg.append("<line x1=\"\(xx)\" y1=\"\(yy)\" x2=\"\(xx + 24)\" y2=\"\(yy)\" stroke=\"\(color)\" stroke-width=\"2\"\(dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")/>")
            svg.append("<text x=\"\(xx + 30)\" y=\"\(yy + 4)\" font-size=\"11\">\(label)</text>")
        }
        let (dx, dy) = (left + 2 * 250, height - 30 + 16)
        svg.append("<path d=\"M \(dx + 12) \(dy - 6) L \(dx + 18) \(dy) L \(dx + 12) \(dy + 6) L \(dx + 6) \(dy) Z\" fill=\"\(confidentColor)\"/>")
        svg.append("<text x=\"\(dx + 30)\" y=\"\(dy + 4)\" font-size=\"11\">confident: median choice per α</text>")
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }
}
