import Bounds
import Foundation
import HeapModule
import NeuralNetwork
import Queries

/// The SDP bound of docs/semantics.md §4 (after Li, Drummond and Duncan 2021), the
/// library call behind `qrobust sdp`.
///
/// S-procedure: if multipliers λ ≥ 0 (for the `≥ 0` facts) and μ (for the
/// `= 0` facts) make `M = s·O − γ·E₀₀ + Σ λQ + Σ μE ⪯ 0`, then every reachable
/// ζ has `s·Σ d_i² = ζᵀ(s·O)ζ ≤ γ`. CSDP finds the smallest γ; the bound is
/// then proved outside CSDP: M(y) is rebuilt with interval entries from the
/// exact weights and `−M ⪰ 0` is checked by ``PSDCertificate``. When `−M` is
/// only nearly semidefinite (a solver's answer sits on the boundary), the
/// valid fact `‖ζ‖² ≤ dim ζ` with multiplier β = (how far below 0 −M's spectrum
/// reaches) closes the gap, at a cost of `β·dim ζ` added to γ.
///
/// The objective is scaled by a power of two s (from the Bounds module's
/// range of d), so that γ is of order 1 for the solver.
public enum SDPErrorBound {
    /// Computes the bounds: one for the norm and, with two or more outputs, one per output.
    /// - Parameter progress: told before each CSDP solve (they cannot be interrupted).
    /// - Throws: ``QueryError`` for questions without meaning; ``SDPSolveError``
    ///   when CSDP's answer cannot be certified; ``SDPProblemError`` if the
    ///   encoding produced a problem CSDP must not see (a bug).
    public static func compute(_ query: SDPQuery, progress: (@Sendable (String) -> Void)? = nil) throws -> SDPResult {
        try query.validate()
        let start = Date()
        let deadline = query.timeLimit.map { start.addingTimeInterval($0) }
        let box = query.region.normalized(by: query.original.normalization)
            .map { Interval($0.lower.roundedDown, $0.upper.roundedUp) }
        let m = query.original.outputSize
        let sets = m == 1 ? [[0]] : [Array(0..<m)] + (0..<m).map { [$0] }
        var notes: Set<String> = []
        var bounds: [SDPBound] = []
        // The norm and every output share each box's SDP, so refusals get one note for all of them.
        var refusedBoxes: Set<[Double]> = [], largestRefused: SDPBoxBound?
        let cache = EncodingCache()
        for outputs in sets {
            let what = outputs.count == m ? "‖f₁ − f₂‖²" : "output \(outputs[0] + 1)"
            let bound = try branchAndBound(query, box: box, outputs: outputs, deadline: deadline, cache: cache) { boxes, best in
                progress?("\(what): \(boxes) of \(query.boxes) boxes, bound \(best.map { String(format: "%.6g", $0) } ?? "–")")
            }
            for leaf in bound.boxes {
                if leaf.refusal != nil {
                    refusedBoxes.insert(leaf.box.flatMap { [$0.lower, $0.upper] })
                    if (leaf.cost?.bytes ?? 0) > (largestRefused?.cost?.bytes ?? -1) { largestRefused = leaf }
                } else if let status = leaf.status, status.hasNoSolution || leaf.uncertified {
                    notes.insert("\(what): \(status.meaning) on some box and no certificate from it; its bound there is the bound propagation's")
                } else if let status = leaf.status, !status.isSolved {
                    notes.insert("\(what): \(status) on some box; its bound there was certified independently of CSDP's claim, or kept from the box it was split from")
                }
            }
            if bound.stoppedByLimit && bound.boxes.count < query.boxes {
                notes.insert("\(what): the time limit stopped the splitting at \(bound.boxes.count) of \(query.boxes) boxes")
            }
            bounds.append(bound)
        }
        if let reason = largestRefused?.refusal {
            let which = refusedBoxes.count == 1 ? "1 box:" : "\(refusedBoxes.count) boxes; on the largest,"
            notes.insert("CSDP was not run on \(which) \(reason); the bound there is the bound propagation's")
        }
        if FileManager.default.fileExists(atPath: "param.csdp") {
            notes.insert("CSDP read its settings from param.csdp in the working directory")
        }
        return SDPResult(squaredNorm: bounds[0], perOutput: Array(bounds.dropFirst()),
                         seconds: Date().timeIntervalSince(start), notes: notes.sorted())
    }

    /// Splits the box until `query.boxes` boxes (or the deadline): the box with
    /// the largest bound is halved along the input its unstable ReLUs depend on
    /// most (or, without any, where it is widest relative to the whole box).
    /// Halves meet at a binary64 midpoint, so they cover it; each half's bound
    /// is capped by its parent's. With a deadline one box's SDP may take only a
    /// share of the time left (``SDPLimits/boxShare(boxes:)``); larger boxes keep the
    /// Bounds module's bound until they are split small enough for CSDP.
    static func branchAndBound(_ query: SDPQuery, box: [Interval], outputs: [Int], deadline: Date?,
                               cache: EncodingCache = EncodingCache(),
                               progress: (Int, Double?) -> Void) throws -> SDPBound {
        let start = Date()
        progress(0, nil)
        let whole = try solve(query, box: box, outputs: outputs, deadline: deadline, cache: cache)
        var leaves = Heap([Leaf(whole)])
        while leaves.count < query.boxes, deadline.map({ Date() < $0 }) ?? true {
            guard let worst = leaves.max, worst.bound.certified > 0,
                  let halves = split(worst.bound.box, whole: box, along: worst.bound.splitInput) else { break }
            progress(leaves.count, worst.bound.certified)
            // A half lies inside its parent, so the parent's bound holds there too
            // (an SDP over a smaller box is not always tighter: its relaxations
            // differ), also when a half's own SDP cannot be certified.
            let parent = worst.bound
            let children = try halves.map { half in
                do {
                    var child = try solve(query, box: half, outputs: outputs, deadline: deadline, cache: cache)
                    child.certified = min(child.certified, parent.certified)
                    return child
                } catch let error as SDPSolveError {
                    var child = parent
                    child.box = half
                    child.status = error.status
                    child.problem = nil
                    return child
                }
            }
            leaves.removeMax()
            for child in children { leaves.insert(Leaf(child)) }
        }
        let boxes = leaves.unordered.map(\.bound)
        let stopped = boxes.contains { $0.status == .timeLimit || $0.refusal != nil }
            || (boxes.count < query.boxes && deadline.map { Date() >= $0 } ?? false)
        return SDPBound(outputs: outputs, certified: boxes.map(\.certified).max() ?? whole.certified, wholeBox: whole,
                        boxes: boxes, seconds: Date().timeIntervalSince(start), stoppedByLimit: stopped)
    }

    /// A box of the splitting, ordered by its bound.
    struct Leaf: Comparable {
        var bound: SDPBoxBound
        init(_ bound: SDPBoxBound) { self.bound = bound }
        static func < (a: Leaf, b: Leaf) -> Bool { a.bound.certified < b.bound.certified }
        static func == (a: Leaf, b: Leaf) -> Bool { a.bound.certified == b.bound.certified }
    }

    /// The two halves of `box` along `input` if it can be halved, else along
    /// its relatively widest input; nil when no input can be halved.
    static func split(_ box: [Interval], whole: [Interval], along input: Int? = nil) -> [[Interval]]? {
        let widths = box.indices.map { whole[$0].width > 0 ? box[$0].width / whole[$0].width : 0 }
        guard let widest = widths.indices.max(by: { widths[$0] < widths[$1] }), widths[widest] > 0 else { return nil }
        let i = input.map { box[$0].midpoint > box[$0].lower && box[$0].midpoint < box[$0].upper ? $0 : widest } ?? widest
        let middle = box[i].midpoint
        guard middle > box[i].lower, middle < box[i].upper else { return nil }
        var low = box, high = box
        low[i] = Interval(box[i].lower, middle)
        high[i] = Interval(middle, box[i].upper)
        return [low, high]
    }

    /// The lifted encoding over one box, with pre-activation and difference
    /// ranges from the Bounds module (differential bounds when both networks see the same input).
    /// - Throws: ``SDPRefusal`` when the SDP would not fit `limits`.
    static func encode(_ query: SDPQuery, box: [Interval], ranges: BoundsModuleRanges,
                       limits: SDPLimits = SDPLimits()) throws -> PairEncoding {
        try PairEncoding.make(original: query.original, compressed: query.compressed, box: box,
                              inputShift: query.normalizedShift, ranges: ranges.preActivations,
                              differenceRanges: ranges.differences, pairs: query.pairs,
                              decomposition: query.decomposition, limits: limits)
    }

    /// What the Bounds module proves over one box: both networks' pre-activation
    /// ranges, the output differences' ranges, and where to split it next.
    struct BoundsModuleRanges {
        var preActivations: [[[Interval]]]
        var differences: [Interval]
        /// ``PairBounds/inputToSplit``, when the networks see the same input.
        var splitInput: Int?
    }

    /// Pre-activation ranges of both networks and the ranges of the output differences over one box.
    /// - Parameter analysis: the differential analysis of the pair, when both networks see the same input.
    static func boundsModuleRanges(_ query: SDPQuery, box: [Interval], analysis: DifferentialAnalysis?) -> BoundsModuleRanges {
        if let analysis {
            let pair = analysis.bounds(over: box)
            return BoundsModuleRanges(preActivations: [pair.original, pair.compressed],
                                      differences: pair.differenceRange, splitInput: pair.inputToSplit)
        }
        let shift = query.normalizedShift
        let first = SymbolicBounds(network: query.original, box: box)
        let shiftedBox = zip(box, shift).map { $0.widened(by: $1) }
        let second = SymbolicBounds(network: query.compressed, box: shiftedBox)
        return BoundsModuleRanges(preActivations: [first.preActivations, second.preActivations],
                                  differences: zip(second.outputRanges(over: shiftedBox), first.outputRanges(over: box)).map { $0 - $1 },
                                  splitInput: nil)
    }

    /// The differential analysis ``boundsModuleRanges(_:box:analysis:)`` uses when the
    /// compressed network sees the original's input; nil with input quantisation.
    static func differentialAnalysis(_ query: SDPQuery) -> DifferentialAnalysis? {
        guard query.normalizedShift.allSatisfy({ $0 == 0 }) else { return nil }
        return DifferentialAnalysis(original: query.original, compared: .concrete(query.compressed), backSubstitutes: true)
    }

    /// `Σ_{i ∈ outputs} max(lo_i², hi_i²)`, rounded up.
    static func squaredBound(_ ranges: [Interval], outputs: [Int]) -> Double {
        outputs.reduce(0.0) { sum, i in (sum + (ranges[i].magnitude * ranges[i].magnitude).nextUp).nextUp }
    }

    /// Solves and certifies the SDP for `Σ_{i ∈ outputs} d_i²` over one box.
    /// When CSDP is stopped at `deadline`, or its y certifies nothing, the box
    /// keeps the bound propagation's bound, which holds regardless, and its
    /// status says why; when its process ends without an answer, ``SDPSolveError``.
    static func solve(_ query: SDPQuery, box: [Interval], outputs: [Int], deadline: Date?,
                      cache: EncodingCache = EncodingCache()) throws -> SDPBoxBound {
        if let deadline, Date() >= deadline {
            // Past the limit: the bound propagation's bound, without building the SDP.
            let ranges = cache.ranges(query, box: box)
            let bound = squaredBound(ranges.differences, outputs: outputs)
            guard bound.isFinite else { throw overflow }
            return SDPBoxBound(box: box, certified: bound, solverValue: nil, intervalBound: bound, ballMultiplier: 0,
                               status: .timeLimit, dimension: 0, unstableReLUs: 0, constraints: 0, pairConstraints: 0,
                               problem: nil, splitInput: ranges.splitInput)
        }
        let limits = SDPLimits(bytes: query.memoryLimit, deadline: deadline,
                               share: query.boxes > 1 ? SDPLimits.boxShare(boxes: query.boxes) : nil)
        let splitInput = cache.ranges(query, box: box).splitInput
        let encoding: PairEncoding
        do {
            encoding = try cache.encoding(query, box: box, limits: limits)
        } catch let refusal as SDPRefusal {
            let bound = squaredBound(refusal.differenceRanges, outputs: outputs)
            guard bound.isFinite else { throw overflow }
            return SDPBoxBound(box: box, certified: bound, solverValue: nil, intervalBound: bound, ballMultiplier: 0,
                               status: nil, dimension: refusal.cost.order, unstableReLUs: 0,
                               constraints: refusal.cost.constraints, pairConstraints: 0, problem: nil,
                               cost: refusal.cost, refusal: refusal.reason, splitInput: splitInput)
        }
        let intervalBound = squaredBound(encoding.differenceRanges, outputs: outputs)
        var result = SDPBoxBound(box: box, certified: 0, solverValue: nil, intervalBound: intervalBound, ballMultiplier: 0,
                                 status: nil, dimension: encoding.dimension, unstableReLUs: encoding.unstableCount,
                                 constraints: encoding.constraints.count,
                                 pairConstraints: encoding.pairConstraintCount,
                                 problem: nil, cost: encoding.cost, splitInput: splitInput, pairs: encoding.pairs,
                                 decomposition: encoding.cliques == nil ? LMIDecomposition.none : .layers)
        // A bound must come from finite numbers: NaN compares false with
        // everything, and an early return on it once reported "≤ 0 certified".
        guard intervalBound.isFinite else { throw overflow }
        // Below 2^-900 the bound is as good as 0, and scaling it to 1 would overflow.
        guard intervalBound > 0x1p-900 else {
            result.certified = intervalBound
            return result
        }
        // s = 2^-e puts γ = s·bound near 1; a power of two scales exactly.
        let s = Double(sign: .plus, exponent: -intervalBound.exponent, significand: 1)
        var objective = SymmetricEntries()
        for i in outputs { objective.addProduct(encoding.differences[i], encoding.differences[i]) }
        let scaledObjective = objective.sorted.map { ($0.row, $0.column, $0.value.scaled(by: s)) }

        let problem = try sdp(encoding, objective: scaledObjective)
        let solution = try CSDP.solve(problem, deadline: deadline)
        if solution.status == .timeLimit {
            result.certified = intervalBound
            result.status = solution.status
            return result
        }
        if solution.status.hasNoSolution { throw SDPSolveError(status: solution.status, outputs: outputs) }
        let gamma = solution.y[0]
        // −M = Σ_k E_kᵀ S_k E_k with S_k ⪰ −β_k·I gives −M ⪰ −(Σ β_k)·I (each E_kᵀE_k ⪯ I).
        let lowest = gamma.isFinite
            ? try negatedM(encoding, objective: scaledObjective, y: solution.y).map(PSDCertificate.smallestEigenvalueBound)
            : [nil]
        guard lowest.allSatisfy({ $0 != nil }) else {
            // No certificate from CSDP's y: the bound propagation's bound still holds.
            result.certified = intervalBound
            result.status = solution.status
            result.uncertified = true
            return result
        }
        let ball = lowest.reduce(0.0) { ($0 + max(0, -$1!)).nextUp }
        let scaledBound = (gamma + (ball * Double(encoding.dimension)).nextUp).nextUp
        // The bound propagation's own bound holds too; the SDP's is usually far
        // below it, but an inaccurate CSDP answer can cost more than it gains.
        result.certified = min((scaledBound / s).nextUp, intervalBound)
        result.solverValue = gamma / s
        result.ballMultiplier = ball
        result.status = solution.status
        result.problem = problem
        return result
    }

    /// The error for a bound that overflowed binary64 (``MagnitudeLimit`` makes it unreachable for validated queries).
    private static let overflow = QueryError("the bound propagation's range of the output difference overflows binary64 on this box; no certificate can be computed")

    /// CSDP's form: variables y = (γ, one multiplier per constraint, and with
    /// layer blocks one transfer per separator entry);
    /// `γ·E₀₀ − Σ yᵢQᵢ − s·O ⪰ 0` in the matrix blocks, and `yᵢ ≥ 0` for the
    /// inequalities in a diagonal block.
    static func sdp(_ encoding: PairEncoding, objective: [(Int, Int, Interval)]) throws -> SDPProblem {
        let layout = try BlockLayout(encoding)
        let inequalities = encoding.constraints.filter { $0.kind == .nonnegative }.count
        var blocks = layout.orders.map { SDPProblem.Block(.matrix, size: $0) }
        let slack = blocks.count
        if inequalities > 0 { blocks.append(.init(.diagonal, size: inequalities)) }
        func entry(_ row: Int, _ column: Int, _ value: Double) throws -> SDPProblem.Entry {
            let (block, r, c) = try layout.place(row, column)
            return .init(block: block, row: r, column: c, value: value)
        }
        var constraints: [[SDPProblem.Entry]] = [[try entry(0, 0, 1)]]
        var next = 0
        for q in encoding.constraints {
            var entries = try q.entries.compactMap { e -> SDPProblem.Entry? in
                let v = e.value.midpoint
                return v == 0 ? nil : try entry(e.row, e.column, -v)
            }
            if q.kind == .nonnegative {
                entries.append(.init(block: slack, row: next, column: next, value: 1))
                next += 1
            }
            // An equality with no entry says nothing; it must still keep its y slot, so give it a zero.
            if entries.isEmpty { entries.append(.init(block: 0, row: 0, column: 0, value: 0)) }
            constraints.append(entries)
        }
        for t in layout.transfers {
            constraints.append([.init(block: t.block, row: t.row, column: t.column, value: 1),
                                .init(block: t.block + 1, row: t.nextRow, column: t.nextColumn, value: -1)])
        }
        let c = try objective.compactMap { r, col, v -> SDPProblem.Entry? in
            v.midpoint == 0 ? nil : try entry(r, col, v.midpoint)
        }
        return SDPProblem(blocks: blocks, objective: [1] + Array(repeating: 0, count: constraints.count - 1),
                          constant: c, constraints: constraints)
    }

    /// `−M(y) = γ·E₀₀ − s·O − Σ λᵢQᵢ − Σ μⱼEⱼ` with interval entries, λ clamped
    /// at 0, block by block: with layer blocks each block's share, the transfers
    /// added exactly, so that the blocks sum to −M(y).
    static func negatedM(_ encoding: PairEncoding, objective: [(Int, Int, Interval)], y: [Double]) throws -> [IntervalMatrix] {
        let layout = try BlockLayout(encoding)
        var blocks = layout.orders.map { IntervalMatrix(order: $0) }
        func add(_ row: Int, _ column: Int, _ value: Interval) throws {
            let (block, r, c) = try layout.place(row, column)
            blocks[block].add(r, c, value)
        }
        try add(0, 0, Interval(y[0]))
        for (r, c, v) in objective { try add(r, c, -v) }
        for (q, multiplier) in zip(encoding.constraints, y.dropFirst()) {
            let weight = q.kind == .nonnegative ? max(multiplier, 0) : multiplier
            if weight == 0 || !weight.isFinite { continue }
            for e in q.entries { try add(e.row, e.column, -e.value.scaled(by: weight)) }
        }
        for (t, value) in zip(layout.transfers, y.dropFirst(1 + encoding.constraints.count)) where value.isFinite {
            blocks[t.block].add(t.row, t.column, Interval(value))
            blocks[t.block + 1].add(t.nextRow, t.nextColumn, Interval(-value))
        }
        return blocks
    }

    /// Where the LMI's entries go: one block of order dim ζ, or the layer blocks
    /// (``LayerCliques``) with their transfer variables.
    struct BlockLayout {
        /// A transfer variable: +1 at (row, column) of `block`, −1 at the same
        /// coordinates' place in block + 1.
        struct Transfer { var block, row, column, nextRow, nextColumn: Int }

        let orders: [Int]
        let transfers: [Transfer]
        private let cliques: LayerCliques?

        init(_ encoding: PairEncoding) throws {
            cliques = encoding.cliques
            guard let cliques else {
                orders = [encoding.dimension]
                transfers = []
                return
            }
            orders = cliques.members.map(\.count)
            var transfers: [Transfer] = []
            for (k, separator) in cliques.separators.enumerated() {
                for (a, i) in separator.enumerated() {
                    for j in separator[a...] {
                        transfers.append(Transfer(block: k, row: cliques.position(i, in: k), column: cliques.position(j, in: k),
                                                  nextRow: cliques.position(i, in: k + 1), nextColumn: cliques.position(j, in: k + 1)))
                    }
                }
            }
            self.transfers = transfers
        }

        /// The block of entry (row ≤ column) and its place there.
        func place(_ row: Int, _ column: Int) throws -> (block: Int, row: Int, column: Int) {
            guard let cliques else { return (0, row, column) }
            let k = try cliques.block(row: row, column: column)
            let (r, c) = (cliques.position(row, in: k), cliques.position(column, in: k))
            return (k, min(r, c), max(r, c))
        }
    }
}

/// Each box's lifted encoding, built once for every output set that bounds it: the
/// norm and each output share the constraints and differ only in the objective. On
/// mnist_relu_3_100 (784 inputs) one encoding takes seconds, and `compute` asks for
/// the same box eleven times, also past the time limit (then only for its ranges).
/// Every box's output-difference ranges are kept too (they are small), and the
/// pair's differential analysis is built once.
final class EncodingCache {
    private var encodings: [[Double]: PairEncoding] = [:]
    private var refusals: [[Double]: SDPRefusal] = [:]
    /// Each box's output-difference ranges and input to split (without the pre-activation
    /// ranges, which would take megabytes per thousand boxes on ACAS Xu).
    private var summaries: [[Double]: (differences: [Interval], splitInput: Int?)] = [:]
    private var analysis: DifferentialAnalysis??
    /// The last box's full ranges: `solve` asks for a box's summary, then for its encoding.
    private var last: (key: [Double], ranges: SDPErrorBound.BoundsModuleRanges)?

    private static func key(_ box: [Interval]) -> [Double] { box.flatMap { [$0.lower, $0.upper] } }

    /// The box's encoding; a refusal is remembered too (the memory limit does
    /// not change, and the time left only shrinks).
    func encoding(_ query: SDPQuery, box: [Interval], limits: SDPLimits) throws -> PairEncoding {
        let key = Self.key(box)
        if let known = encodings[key] { return known }
        if let refused = refusals[key] { throw refused }
        do {
            let encoding = try SDPErrorBound.encode(query, box: box, ranges: fullRanges(query, box: box), limits: limits)
            encodings[key] = encoding
            return encoding
        } catch let refusal as SDPRefusal {
            refusals[key] = refusal
            throw refusal
        }
    }

    /// The Bounds module's output-difference ranges over the box, and the input to split it along.
    func ranges(_ query: SDPQuery, box: [Interval]) -> (differences: [Interval], splitInput: Int?) {
        if let known = summaries[Self.key(box)] { return known }
        _ = fullRanges(query, box: box)
        return summaries[Self.key(box)]!
    }

    private func fullRanges(_ query: SDPQuery, box: [Interval]) -> SDPErrorBound.BoundsModuleRanges {
        let key = Self.key(box)
        if let last, last.key == key { return last.ranges }
        if analysis == nil { analysis = .some(SDPErrorBound.differentialAnalysis(query)) }
        let ranges = SDPErrorBound.boundsModuleRanges(query, box: box, analysis: analysis!)
        summaries[key] = (ranges.differences, ranges.splitInput)
        last = (key, ranges)
        return ranges
    }
}
