import Foundation

/// The ReLU-versus-linear tables of a finished study, from its records.
public struct StudySummary: Sendable {
    public var records: [NetworkRecord]
    /// The widths the tables show (two of the grid: 4 and 8 when present).
    public var shownBits: [Int]
    public var taus: [Double]

    public init(records: [NetworkRecord]) {
        self.records = records
        let grid = records.first?.rounding.map(\.bits) ?? []
        let preferred = [4, 8].filter(grid.contains)
        shownBits = preferred.count == 2 ? preferred : Array(grid.prefix(1) + grid.dropFirst(grid.count / 2).prefix(1))
        taus = records.first?.fewestBits.map(\.tau) ?? []
    }

    /// Median and quartiles (linear interpolation between order statistics).
    static func quartiles(_ values: [Double]) -> (q1: Double, median: Double, q3: Double)? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        func at(_ p: Double) -> Double {
            let position = p * Double(sorted.count - 1), low = Int(position.rounded(.down))
            let high = min(low + 1, sorted.count - 1), t = position - Double(low)
            return sorted[low] * (1 - t) + sorted[high] * t
        }
        return (at(0.25), at(0.5), at(0.75))
    }

    /// A deviation for a table: three decimals, or two significant digits below 0.01.
    static func format(_ v: Double) -> String {
        v == 0 ? "0" : (v >= 0.01 ? String(format: "%.3f", v) : String(format: "%.1e", v))
    }

    private func upper(_ record: NetworkRecord, _ scheme: KeyPath<NetworkRecord, [BitsPoint]>, _ k: Int) -> Double? {
        record[keyPath: scheme].first { $0.bits == k }?.deviation.upper
    }

    /// Data sets in zoo order.
    private var datasets: [String] {
        var seen: [String] = []
        for r in records where !seen.contains(r.entry.dataset) { seen.append(r.entry.dataset) }
        return seen
    }

    /// Table 1: per data set and activation, accuracy and the certified upper ends of the deviation.
    public var groupTable: String {
        let bitsColumns = shownBits.flatMap { ["rounding, \($0) bits", "perturbation set, \($0) bits"] }
        let tau = taus.contains(0.05) ? 0.05 : taus.first ?? 0.05
        var lines = ["| data set | hidden | networks | test accuracy | " + bitsColumns.joined(separator: " | ")
                     + " | fewest bits for τ = \(tau): rounding / set |",
                     "|" + Array(repeating: "---|", count: 5 + bitsColumns.count).joined()]
        for dataset in datasets {
            for activation in ["relu", "linear"] {
                let group = records.filter { $0.entry.dataset == dataset && $0.entry.activation == activation }
                guard !group.isEmpty else { continue }
                let accuracy = Self.quartiles(group.map(\.entry.testAccuracy))!.median
                var cells = [dataset, activation, "\(group.count)", String(format: "%.3f", accuracy)]
                for k in shownBits {
                    for scheme in [\NetworkRecord.rounding, \NetworkRecord.perturbation] {
                        let q = Self.quartiles(group.compactMap { upper($0, scheme, k) })
                        cells.append(q.map { "\(Self.format($0.median)) [\(Self.format($0.q1)), \(Self.format($0.q3))]" } ?? "–")
                    }
                }
                func fewest(_ pick: (FewestBitsEntry) -> Int?) -> String {
                    let values = group.compactMap { $0.fewestBits.first { $0.tau == tau } }.map { pick($0).map(Double.init) ?? .infinity }
                    guard let m = Self.quartiles(values)?.median else { return "–" }
                    return m.isFinite ? String(format: "%g", m) : "> grid"
                }
                cells.append("\(fewest(\.rounding)) / \(fewest(\.perturbation))")
                lines.append("| " + cells.joined(separator: " | ") + " |")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Table 2: for each width, the matched pairs (same data set, shape, seed) in which
    /// one activation's certified deviation is below the other's, and the median ratio.
    public var winTable: String {
        var lines = ["| scheme | bits | pairs | ReLU certified lower | linear certified lower | undecided | ReLU upper end lower | median ReLU / linear upper end |",
                     "|---|---|---|---|---|---|---|---|"]
        let byKey = Dictionary(grouping: records, by: \.entry.pairKey)
        let pairs = byKey.values.compactMap { group -> (NetworkRecord, NetworkRecord)? in
            guard let r = group.first(where: { $0.entry.activation == "relu" }),
                  let l = group.first(where: { $0.entry.activation == "linear" }) else { return nil }
            return (r, l)
        }
        for (name, scheme) in [("rounding", \NetworkRecord.rounding), ("perturbation set", \NetworkRecord.perturbation)] {
            for k in records.first?.rounding.map(\.bits) ?? [] {
                var reluWins = 0, linearWins = 0, undecided = 0, reluUpperLower = 0
                var ratios: [Double] = []
                for (r, l) in pairs {
                    guard let rp = r[keyPath: scheme].first(where: { $0.bits == k })?.deviation,
                          let lp = l[keyPath: scheme].first(where: { $0.bits == k })?.deviation else { continue }
                    if rp.upper < lp.lower { reluWins += 1 } else if lp.upper < rp.lower { linearWins += 1 } else { undecided += 1 }
                    if rp.upper < lp.upper { reluUpperLower += 1 }
                    if lp.upper > 0 { ratios.append(rp.upper / lp.upper) }
                }
                let n = reluWins + linearWins + undecided
                let ratio = Self.quartiles(ratios).map { String(format: "%.2f", $0.median) } ?? "–"
                lines.append("| \(name) | \(k) | \(n) | \(reluWins) | \(linearWins) | \(undecided) | \(reluUpperLower) of \(n) | \(ratio) |")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Table 3: local deviations at test points near and far from the boundary (medians of upper ends).
    public var localTable: String {
        var lines = ["| activation | near the boundary | far from it |", "|---|---|---|"]
        for activation in ["relu", "linear"] {
            let points = records.filter { $0.entry.activation == activation }.flatMap(\.local)
            func median(_ position: String) -> String {
                Self.quartiles(points.filter { $0.position == position }.map(\.deviation.upper)).map { Self.format($0.median) } ?? "–"
            }
            lines.append("| \(activation) | \(median("near")) | \(median("far")) |")
        }
        return lines.joined(separator: "\n")
    }

    /// The three tables with headings and the time-limit count: what `study activations`
    /// prints and writes to summary.md.
    public func report(_ configuration: StudyConfiguration) -> String {
        """
        ## Global deviation per data set and activation (median [quartiles] of certified upper ends)

        \(groupTable)

        ## ReLU against linear, network by network (same data set, shape and seed)

        \(winTable)

        ## Local deviation at test points (perturbation set, \(configuration.localBits) bits; median upper ends)

        \(localTable)

        \(timedOut) of \(records.count * configuration.bits.count * 2) global queries stopped at the \(configuration.timeLimitPerQuery) s limit (their intervals are wider than \(configuration.tolerance.nearestDouble)).
        """
    }

    /// Queries that stopped at their time limit, so their interval is wider than the tolerance.
    public var timedOut: Int {
        records.flatMap { $0.rounding + $0.perturbation }.filter { $0.deviation.reason != nil }.count
    }

    /// One CSV row per network, scheme and width.
    public var csv: String {
        var rows = ["file,dataset,activation,hidden,seed,test_accuracy,scheme,bits,lower,upper,stopped_early"]
        for r in records {
            let e = r.entry
            for (scheme, points) in [("rounding", r.rounding), ("perturbation", r.perturbation)] {
                for p in points {
                    rows.append([e.file, e.dataset, e.activation, e.hidden.map(String.init).joined(separator: "x"), "\(e.seed)",
                                 "\(e.testAccuracy)", scheme, "\(p.bits)", "\(p.deviation.lower)", "\(p.deviation.upper)",
                                 p.deviation.reason == nil ? "no" : "yes"].joined(separator: ","))
                }
            }
        }
        return rows.joined(separator: "\n") + "\n"
    }
}
