import CCSDP
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// CSDP's return codes and what they mean (CSDP's `easy_sdp`).
public struct CSDPStatus: Sendable, Equatable, CustomStringConvertible {
    public var code: Int

    /// Whether CSDP claims a solution to full (0) or reduced (3) accuracy.
    public var isSolved: Bool { code == 0 || code == 3 }

    public var meaning: String {
        switch code {
        case 0: "solved"
        case 1: "the primal problem is infeasible"
        case 2: "the dual problem is infeasible (no certificate exists)"
        case 3: "solved to reduced accuracy"
        case 4: "stopped at the iteration limit"
        case 5: "stuck at the edge of primal feasibility"
        case 6: "stuck at the edge of dual feasibility"
        case 7: "stopped for lack of progress"
        case 8: "X, Z or O became singular"
        case 9: "NaN or infinite values appeared"
        default: "unknown return code"
        }
    }

    public var description: String { "CSDP return code \(code): \(meaning)" }
}

/// What CSDP returned: the dual variables y and both objective values.
public struct SDPSolution: Sendable {
    public var status: CSDPStatus
    public var y: [Double]
    /// `tr(C·X)` (primal, a lower estimate of the optimum for a feasible X).
    public var primalObjective: Double
    /// `aᵀy` (dual).
    public var dualObjective: Double
}

/// The one door to CSDP (Debian's libsdp). CSDP keeps static state, prints
/// its progress to stdout, reads `param.csdp` from the working directory and
/// calls `exit()` on malformed input, so every call here is:
/// - validated first (``SDPProblem/validate()``), so CSDP never sees a
///   problem it would exit on;
/// - serialised by one lock for the whole process;
/// - silenced: file descriptor 1 points at /dev/null for the duration.
///   Anything another thread writes to stdout meanwhile is lost, which is
///   why qrobust prints progress to stderr only.
///
/// CSDP cannot be interrupted; its own iteration limit (100) ends a stalled solve.
public enum CSDP {
    private static let lock = NSLock()

    /// Solves the problem, or throws for a problem CSDP must not see.
    /// A solve that fails is not an error here: its ``CSDPStatus`` says why,
    /// and the caller decides whether the returned y is still useful (a bound
    /// certified independently of CSDP's claims is).
    public static func solve(_ problem: SDPProblem) throws(SDPProblemError) -> SDPSolution {
        try problem.validate()
        lock.lock()
        defer { lock.unlock() }
        return silenced { run(problem) }
    }

    private static func run(_ problem: SDPProblem) -> SDPSolution {
        let n = Int32(problem.order), k = Int32(problem.constraints.count)
        let c = blockMatrix(problem.blocks, entries: problem.constant)
        let a = allocate(Double.self, problem.objective.count + 1)
        for (i, v) in problem.objective.enumerated() { a[i + 1] = v }
        let constraints = allocate(constraintmatrix.self, problem.constraints.count + 1)
        for (i, entries) in problem.constraints.enumerated() {
            constraints[i + 1].blocks = sparseBlocks(entries, constraint: i + 1, blocks: problem.blocks)
        }

        var x = blockmatrix(), z = blockmatrix()
        var y: UnsafeMutablePointer<Double>? = nil
        var primal = 0.0, dual = 0.0
        initsoln(n, k, c, a, constraints, &x, &y, &z)
        let code = easy_sdp(n, k, c, a, constraints, 0, &x, &y, &z, &primal, &dual)
        let values = (0..<Int(k)).map { y?[$0 + 1] ?? .nan }
        free_prob(n, k, c, a, constraints, x, y, z)
        return SDPSolution(status: CSDPStatus(code: Int(code)), y: values, primalObjective: primal,
                           dualObjective: dual)
    }

    /// CSDP's dense block matrix (1-based blocks, Fortran-order matrices,
    /// 1-based diagonal vectors), allocated with calloc so that `free_prob` can free it.
    private static func blockMatrix(_ blocks: [SDPProblem.Block], entries: [SDPProblem.Entry]) -> blockmatrix {
        var m = blockmatrix()
        m.nblocks = Int32(blocks.count)
        m.blocks = allocate(blockrec.self, blocks.count + 1)
        for (b, block) in blocks.enumerated() {
            m.blocks[b + 1].blocksize = Int32(block.size)
            switch block.kind {
            case .matrix:
                m.blocks[b + 1].blockcategory = MATRIX
                m.blocks[b + 1].data.mat = allocate(Double.self, block.size * block.size)
            case .diagonal:
                m.blocks[b + 1].blockcategory = DIAG
                m.blocks[b + 1].data.vec = allocate(Double.self, block.size + 1)
            }
        }
        for e in entries {
            let block = m.blocks[e.block + 1], size = Int(block.blocksize)
            if block.blockcategory == DIAG {
                block.data.vec[e.row + 1] = e.value
            } else {
                block.data.mat[e.column * size + e.row] = e.value
                block.data.mat[e.row * size + e.column] = e.value
            }
        }
        return m
    }

    /// One constraint matrix as CSDP's linked list of sparse blocks (1-based arrays).
    private static func sparseBlocks(_ entries: [SDPProblem.Entry], constraint: Int,
                                     blocks: [SDPProblem.Block]) -> UnsafeMutablePointer<sparseblock>? {
        var head: UnsafeMutablePointer<sparseblock>? = nil
        let byBlock = Dictionary(grouping: entries, by: \.block)
        for b in byBlock.keys.sorted(by: >) {
            let list = byBlock[b]!.sorted { ($0.row, $0.column) < ($1.row, $1.column) }
            let node = allocate(sparseblock.self, 1)
            node.pointee.next = head
            node.pointee.nextbyblock = nil
            node.pointee.entries = allocate(Double.self, list.count + 1)
            node.pointee.iindices = allocate(Int32.self, list.count + 1)
            node.pointee.jindices = allocate(Int32.self, list.count + 1)
            for (j, e) in list.enumerated() {
                node.pointee.entries[j + 1] = e.value
                node.pointee.iindices[j + 1] = Int32(e.row + 1)
                node.pointee.jindices[j + 1] = Int32(e.column + 1)
            }
            node.pointee.numentries = Int32(list.count)
            node.pointee.blocknum = Int32(b + 1)
            node.pointee.blocksize = Int32(blocks[b].size)
            node.pointee.constraintnum = Int32(constraint)
            node.pointee.issparse = 1
            head = node
        }
        return head
    }

    /// Zeroed C heap memory (CSDP frees it with `free`); allocation failure is fatal, as everywhere in Swift.
    private static func allocate<T>(_ type: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
        guard let raw = calloc(max(count, 1), MemoryLayout<T>.stride) else {
            fatalError("out of memory allocating \(count) × \(T.self) for CSDP")
        }
        return raw.bindMemory(to: T.self, capacity: max(count, 1))
    }

    /// Runs `body` with stdout pointed at /dev/null.
    private static func silenced<T>(_ body: () -> T) -> T {
        fflush(nil)
        let saved = dup(STDOUT_FILENO)
        let null = open("/dev/null", O_WRONLY)
        if saved >= 0, null >= 0 { dup2(null, STDOUT_FILENO) }
        defer {
            fflush(nil)
            if saved >= 0 {
                dup2(saved, STDOUT_FILENO)
                close(saved)
            }
            if null >= 0 { close(null) }
        }
        return body()
    }
}
