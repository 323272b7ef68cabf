import Bounds
import Foundation

/// The size of one box's SDP and what solving it would cost, known before its
/// constraint matrices are built, so that a problem too large for the limits
/// is refused with the estimate instead of exhausting memory or time.
///
/// The model, per box (N the LMI's order, m the constraints, E the nonzero
/// upper-triangle entries of all constraint matrices):
/// - memory: E entries held three times over (qrobust's interval entries,
///   the problem handed to CSDP, CSDP's sparse copy; about 100 bytes each),
///   CSDP's dense Schur complement (8·m² bytes), about a dozen dense N × N
///   matrices in CSDP and the certificate (8·N² bytes each);
/// - time: CSDP's Schur complement from sparse constraints, about E·N per
///   iteration, its Cholesky factor, m³/3, and the dense N × N work.
///
/// With layer blocks (``LMIDecomposition/layers``) the N² and N³ terms are
/// summed over the blocks, E·N is each block's entries times its order, and m
/// counts the transfer variables that tie the blocks.
///
/// The coefficients were fitted to whole-process times of `qrobust sdp
/// --boxes 1` on this project's pairs (2 cores, OpenBLAS): Li et al.'s 1-10-10-1
/// pairs, diff2d mid and big against their 8-bit copies (diagonal and full
/// pairs). The fit is within a factor of 3 on each (README, "SDP at scale");
/// the limits it is checked against are the user's.
public struct SDPCost: Sendable, Equatable, CustomStringConvertible {
    /// The order of the LMI (dim ζ), or of its largest block.
    public var order: Int { blockOrders.max() ?? 0 }
    /// The quadratic constraints (the multipliers besides γ), and with layer
    /// blocks the transfer variables that tie them.
    public var constraints: Int
    /// Nonzero upper-triangle entries of all constraint matrices.
    public var entries: Int
    /// The order of each PSD block: one for the dense LMI (``LMIDecomposition``).
    public var blockOrders: [Int]
    /// Σ over the blocks of (entries in the block × its order): E·N for one block.
    public var entryWork: Double

    /// Seconds per unit of E·N, of m³ and of N³ (see the fit above).
    static let secondsPerEntryOrder = 2.2e-6, secondsPerCubedConstraint = 8e-10, secondsPerCubedOrder = 5e-9

    /// The cost of one dense block of order `order`.
    public init(order: Int, constraints: Int, entries: Int) {
        self.init(blockOrders: [order], constraints: constraints, entries: entries,
                  entryWork: Double(entries) * Double(order))
    }

    /// The cost of an LMI in blocks; `entryWork` is Σ entries·order over the blocks.
    public init(blockOrders: [Int], constraints: Int, entries: Int, entryWork: Double) {
        self.blockOrders = blockOrders
        self.constraints = constraints
        self.entries = entries
        self.entryWork = entryWork
    }

    /// Estimated peak memory of building, solving and certifying the SDP, in bytes.
    public var bytes: Double {
        let m = Double(constraints + 1)
        return 100 * Double(entries) + 8 * m * m + 13 * 8 * blockOrders.reduce(0) { $0 + Double($1) * Double($1) }
    }

    /// Estimated seconds for CSDP to solve it.
    public var seconds: Double {
        let m = Double(constraints + 1)
        return Self.secondsPerEntryOrder * entryWork + Self.secondsPerCubedConstraint * m * m * m
            + Self.secondsPerCubedOrder * blockOrders.reduce(0) { $0 + Double($1) * Double($1) * Double($1) }
    }

    public var description: String {
        (blockOrders.count == 1 ? "order \(order)" : "\(blockOrders.count) blocks of order ≤ \(order)")
            + ", \(constraints) constraints, \(entries) matrix entries: about \(Self.format(bytes: bytes)) and \(Self.format(seconds: seconds))"
    }

    static func format(bytes: Double) -> String {
        bytes >= 1e9 ? String(format: "%.1f GB", bytes / 1e9)
            : bytes >= 1e6 ? String(format: "%.0f MB", bytes / 1e6)
            : bytes >= 1e3 ? String(format: "%.0f kB", bytes / 1e3) : String(format: "%.0f bytes", bytes)
    }

    static func format(seconds: Double) -> String {
        seconds >= 3600 ? String(format: "%.1f h", seconds / 3600)
            : seconds >= 60 ? String(format: "%.0f min", seconds / 60) : String(format: "%.2g s", seconds)
    }
}

/// Limits an SDP must fit before it is built and solved.
public struct SDPLimits: Sendable, Equatable {
    /// Bytes one box's SDP may take; nil for no limit.
    public var bytes: Double?
    /// When the query's time is up; nil for no limit.
    public var deadline: Date?
    /// How many times the time left a solve may be estimated to take before it
    /// is refused: the estimate is rough (within a factor of 3 where it was
    /// fitted), and a solve that overruns is stopped at the limit anyway, so
    /// only a clear overrun is refused.
    public static let timeMargin = 4.0
    /// With a deadline, the most of the time left one box's SDP may be
    /// estimated to take when the box is to be split into `boxes`: 1/boxes, but
    /// at least 1/256. A box above it is split instead, so that CSDP gets the
    /// boxes small enough to pay and the splitting goes on around the rest. On
    /// ACAS Xu property 1 against its float16 copy (`--boxes 100000 --timeout 30`)
    /// the bound is 1.63e-7 with 1/256, 2.40e-7 with 1/16 and 1.98e-7 with no SDP at all.
    public static func boxShare(boxes: Int) -> Double { max(1.0 / 256, 1.0 / Double(max(boxes, 1))) }

    /// The share of the time left one box's SDP may take (``boxShare(boxes:)``); nil for all of it.
    public var share: Double?

    public init(bytes: Double? = nil, deadline: Date? = nil, share: Double? = nil) {
        self.bytes = bytes
        self.deadline = deadline
        self.share = share
    }

    /// Why an SDP of this cost is refused, or nil when it fits.
    func refusal(_ cost: SDPCost, now: Date = Date()) -> String? {
        if let bytes, cost.bytes > bytes {
            return "its SDP (\(cost)) would need more than the memory limit of \(SDPCost.format(bytes: bytes))"
        }
        if let deadline {
            let left = max(0, deadline.timeIntervalSince(now))
            if cost.seconds > Self.timeMargin * left {
                return "its SDP (\(cost)) would take far longer than the \(SDPCost.format(seconds: left)) left before the time limit"
            }
            if let share, cost.seconds > share * left {
                return "its SDP (\(cost)) would take more than one box's share (1/\(Int((1 / share).rounded()))) of the \(SDPCost.format(seconds: left)) left before the time limit (such a box is split rather than solved)"
            }
        }
        return nil
    }
}

/// An SDP too large for the limits: not built, not solved. The box keeps the
/// Bounds module's bound, which holds regardless.
struct SDPRefusal: Error, Sendable {
    var cost: SDPCost
    var reason: String
    /// The Bounds module's ranges of the output differences over the box, which the bound then comes from.
    var differenceRanges: [Interval]
}
