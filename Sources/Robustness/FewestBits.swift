import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Queries

/// Where a fewest-bits question is asked: at one input or over a box.
public enum BitsScope: Sendable {
    case local(input: [Rational])
    case global(InputRegion)
}

/// Which fixed-point networks a bit width stands for.
public enum BitsModel: String, Sendable, CaseIterable {
    /// Every parameter anywhere within the rounding error of k bits. The
    /// property is monotone in k (the sets are nested), so k* is found by bisection.
    case perturbation
    /// The one network rounded to k bits. Not monotone in k (Giacobbe et al.
    /// 2020), so every k in the range is checked.
    case concrete
}

/// Which family of quantisers the bit width k indexes.
public enum BitsScheme: Sendable, Equatable {
    /// Fixed point with k fractional bits (``FixedPoint``), k in 0…52.
    case fixedPoint(Rounding)
    /// Affine integers of k bits (``AffineQuantization``), k in 2…16.
    case affine(perChannel: Bool, symmetric: Bool, restrictedRange: Bool)

    /// The widths this scheme has.
    public var supportedBits: ClosedRange<Int> {
        switch self {
        case .fixedPoint: FixedPoint.supportedBits
        case .affine: AffineQuantization.supportedBits
        }
    }

    /// The scheme at k bits: the rounded network and the perturbation set around `network`.
    func compression(_ k: Int, of network: Network, model: BitsModel) throws -> CompressionModel {
        switch self {
        case .fixedPoint(let rounding):
            let fixed = try FixedPoint(fractionalBits: k, rounding: rounding)
            return model == .concrete ? .concrete(try fixed.apply(to: network)) : .perturbation(fixed.perturbationSet)
        case .affine(let perChannel, let symmetric, let restrictedRange):
            let affine = try AffineQuantization(bits: k, perChannel: perChannel, symmetric: symmetric,
                                                restrictedRange: restrictedRange)
            return model == .concrete ? .concrete(try affine.apply(to: network))
                : .perturbation(try affine.perturbationSet(for: network))
        }
    }

    /// For example `fixed point, nearest rounding` or `int affine, per channel, symmetric`.
    public var description: String {
        switch self {
        case .fixedPoint(let rounding): "fixed point, \(rounding.rawValue) rounding"
        case .affine(let perChannel, let symmetric, let restrictedRange):
            "int affine, \(perChannel ? "per channel" : "per tensor"), "
                + (symmetric ? (restrictedRange ? "symmetric, restricted range" : "symmetric") : "asymmetric")
        }
    }
}

/// The fewest bits k for which the property holds at τ (docs/semantics.md §1.3).
public struct BitsQuery: Sendable {
    public var network: Network
    public var scope: BitsScope
    public var model: BitsModel
    public var scheme: BitsScheme
    public var metric: Metric
    /// The threshold; nil for the flip metric, which is decided without one.
    public var tau: Rational?
    /// The bit widths to consider.
    public var range: ClosedRange<Int>
    /// Wall-clock limit in seconds for the whole search; nil for none.
    public var timeLimit: Double?
    /// Parallel branches per global check.
    public var jobs: Int

    public init(network: Network, scope: BitsScope, model: BitsModel = .perturbation,
                scheme: BitsScheme = .fixedPoint(.nearest),
                metric: Metric = .probability, tau: Rational?, range: ClosedRange<Int> = 1...16,
                timeLimit: Double? = nil, jobs: Int = 2) {
        self.network = network
        self.scope = scope
        self.model = model
        self.scheme = scheme
        self.metric = metric
        self.tau = tau
        self.range = range
        self.timeLimit = timeLimit
        self.jobs = jobs
    }
}

/// One checked bit width.
public struct BitsRow: Sendable {
    public var bits: Int
    public var verdict: Verdict
    public var deviation: DeviationBounds
    public var reason: String?
    public var seconds: Double
}

/// The answer to a ``BitsQuery``.
public struct BitsResult: Sendable {
    /// The checked widths, in increasing k.
    public var rows: [BitsRow]
    /// The smallest k proved robust (perturbation: every larger k is robust
    /// too; concrete: the smallest robust row). Nil when none was proved.
    public var fewest: Int?
    /// Set when a row leaves k* uncertain or robustness is not monotone in k.
    public var note: String?
    /// Whether an `unknown` row (or a stop at the time limit) leaves k* uncertain:
    /// the true k* may be smaller than ``fewest``, or undecided.
    public var isUncertain = false
    public var seconds: Double

    /// The answer that stands when the search is stopped after `rows`: no k*
    /// is claimed, and the note says why.
    public static func provisional(_ rows: [BitsRow], seconds: Double) -> BitsResult {
        BitsResult(rows: rows.sorted { $0.bits < $1.bits }, fewest: nil,
                   note: "unknown: the time limit was reached before k* was decided", isUncertain: true, seconds: seconds)
    }
}

/// Searches the fewest bits (fixed point or affine integers): the library call behind `qrobust bits`.
public enum FewestBits {
    /// - Parameter progress: called after each checked width.
    public static func search(_ query: BitsQuery, progress: (@Sendable (BitsRow) -> Void)? = nil) async throws -> BitsResult {
        let supported = query.scheme.supportedBits
        guard supported.contains(query.range.lowerBound), supported.contains(query.range.upperBound) else {
            throw QueryError("the bit range must lie within \(supported.lowerBound):\(supported.upperBound) for \(query.scheme.description), found \(query.range.lowerBound):\(query.range.upperBound)")
        }
        let start = Date()
        let deadline = query.timeLimit.map { start.addingTimeInterval($0) }
        var rows: [Int: BitsRow] = [:]
        // Bisection needs nested sets: fixed point's are; an affine scheme's scales are
        // checked width by width, and where they are not nested every width is checked.
        // The sets built for that check are the ones the widths are then checked with.
        var bisects = query.model == .perturbation
        let sets: [Int: CompressionModel]
        if bisects, case .affine = query.scheme {
            sets = try Dictionary(uniqueKeysWithValues: query.range.map { k in
                (k, try query.scheme.compression(k, of: query.network, model: .perturbation))
            })
        } else {
            sets = [:]
        }

        func check(_ k: Int) async throws -> BitsRow {
            if let row = rows[k] { return row }
            let row = try await checkWidth(k, query, compression: try sets[k] ?? query.scheme.compression(k, of: query.network, model: query.model),
                                           deadline: deadline)
            rows[k] = row
            progress?(row)
            return row
        }

        var fewest: Int?, note: String?, uncertain = false
        if !sets.isEmpty, !nested(query.range.compactMap { sets[$0] }) {
            bisects = false
            note = "the perturbation sets of these widths are not nested, so every width is checked"
        }
        switch bisects ? BitsModel.perturbation : .concrete {
        case .concrete:
            for k in query.range {
                let row = try await check(k)
                if row.verdict == .robust && fewest == nil { fewest = k }
            }
            let verdicts = query.range.compactMap { rows[$0]?.verdict }
            if let first = fewest, verdicts.dropFirst(first - query.range.lowerBound).contains(where: { $0 != .robust }) {
                note = (note.map { $0 + "; " } ?? "") + "robustness is not monotone in k here: some wider rounding fails again"
            }
        case .perturbation:
            // Invariant: every k ≥ high is robust (nested sets), nothing below low is known robust.
            var low = query.range.lowerBound, high = query.range.upperBound
            guard try await check(high).verdict == .robust else {
                return BitsResult(rows: rows.values.sorted { $0.bits < $1.bits }, fewest: nil,
                                  note: "not proved robust even at \(high) bits", seconds: Date().timeIntervalSince(start))
            }
            while low < high {
                let mid = (low + high) / 2
                let row = try await check(mid)
                if row.verdict == .robust { high = mid } else { low = mid + 1 }
                if row.verdict == .unknown {
                    note = "unknown at \(mid) bits (\(row.reason ?? "limit")); the true k* may be smaller"
                    uncertain = true
                }
            }
            fewest = high
        }
        return BitsResult(rows: rows.values.sorted { $0.bits < $1.bits }, fewest: fewest, note: note,
                          isUncertain: uncertain, seconds: Date().timeIntervalSince(start))
    }

    /// Whether each width's perturbation set lies inside the next narrower width's,
    /// radius by radius (affine scales come from float32 arithmetic and saturation,
    /// so this is checked, not assumed). The sets are given in increasing k, each expected inside the one before.
    private static func nested(_ sets: [CompressionModel]) -> Bool {
        var wider: [[[Rational]]]?
        for set in sets {
            guard case .perturbation(.explicit(let radii, _)) = set else { return false }
            if let wider, zip(wider, radii).contains(where: { zip($0, $1).contains { zip($0, $1).contains { $1 > $0 } } }) {
                return false
            }
            wider = radii
        }
        return true
    }

    /// One local or global check at k bits.
    private static func checkWidth(_ k: Int, _ query: BitsQuery, compression: CompressionModel, deadline: Date?) async throws -> BitsRow {
        let started = Date()
        let remaining = deadline.map { max(0.001, $0.timeIntervalSinceNow) }
        let verdict: Verdict?, deviation: DeviationBounds, reason: String?
        switch query.scope {
        case .local(let input):
            let result = try LocalRobustness.check(LocalQuery(
                network: query.network, compression: compression, input: input, metric: query.metric,
                tau: query.tau, timeLimit: remaining))
            (verdict, deviation, reason) = (result.verdict, result.deviation, result.reason)
        case .global(let region):
            let result = try await GlobalRobustness.check(GlobalQuery(
                network: query.network, compression: compression, region: region, metric: query.metric,
                tau: query.tau, timeLimit: remaining, jobs: query.jobs))
            (verdict, deviation, reason) = (result.verdict, result.deviation, result.reason)
        }
        return BitsRow(bits: k, verdict: verdict ?? .unknown, deviation: deviation, reason: reason,
                       seconds: Date().timeIntervalSince(started))
    }
}
