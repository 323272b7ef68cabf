import CCSDP
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// CSDP's return codes and what they mean (CSDP's `easy_sdp`).
public struct CSDPStatus: Sendable, Equatable, CustomStringConvertible {
    /// CSDP's return code (0–9), or qrobust's own when CSDP gave no answer (below 0).
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
        default: detail ?? "unknown return code"
        }
    }

    /// Why the solve gave no answer, for the codes qrobust adds (below 0).
    public var detail: String?

    public init(code: Int, detail: String? = nil) {
        self.code = code
        self.detail = detail
    }

    /// The solve was stopped at the time limit (its process killed); there is no y.
    public static let timeLimit = CSDPStatus(code: -1, detail: "stopped at the time limit")
    /// CSDP's process ended without an answer (CSDP called `exit`, or a signal); there is no y.
    public static func processFailed(_ detail: String) -> CSDPStatus { CSDPStatus(code: -2, detail: detail) }

    /// Whether the solve ended without a y (``timeLimit`` or ``processFailed(_:)``).
    public var hasNoSolution: Bool { code < 0 }

    public var description: String { code < 0 ? "CSDP: \(meaning)" : "CSDP return code \(code): \(meaning)" }
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
/// calls `exit()` on malformed input or when an allocation fails, so every call here is:
/// - validated first (``SDPProblem/validate()``), so CSDP never sees a
///   problem it would exit on;
/// - run in a child process of its own (`fork`): its `exit()` ("Storage
///   allocation failed!" on problems too large for memory) ends only the
///   child and comes back as a status, its static state dies with the child,
///   and its stdout is /dev/null there, so nothing of qrobust's output is lost;
/// - stopped at the deadline: the child is killed, and the status says so;
/// - killed with qrobust: the child asks the kernel for SIGKILL when the thread
///   that forked it ends (`PR_SET_PDEATHSIG`; that thread waits for the child,
///   so only qrobust's own end can trigger it). Without it, a qrobust stopped
///   by `timeout` or Ctrl-C left its solve running for minutes.
///
/// The child does nothing but C calls on memory prepared before the fork and
/// one `write` of the answer to a pipe, as code after `fork` in a threaded
/// process must.
public enum CSDP {
    /// A test-only hook, read once from the environment: with
    /// `QROBUST_TEST_FAULT=csdp-exit` the child process calls `exit(205)` as
    /// CSDP does when an allocation fails; with `csdp-hang` it never answers,
    /// so that the kill at the deadline is exercised. Nothing sets it outside the tests.
    static let injectedFault = ProcessInfo.processInfo.environment["QROBUST_TEST_FAULT"]

    /// Solves the problem, or throws for a problem CSDP must not see.
    /// A solve that fails is not an error here: its ``CSDPStatus`` says why
    /// (including a time limit or the end of CSDP's process), and the caller
    /// decides whether the returned y is still useful (a bound certified
    /// independently of CSDP's claims is). Without a y, `y` is empty.
    public static func solve(_ problem: SDPProblem, deadline: Date? = nil) throws(SDPProblemError) -> SDPSolution {
        try problem.validate()
        return run(problem, deadline: deadline)
    }

    private static func run(_ problem: SDPProblem, deadline: Date?) -> SDPSolution {
        let library: CSDPLibrary
        switch CSDPLibrary.shared {
        case .success(let loaded): library = loaded
        case .failure(let error):
            return SDPSolution(status: .processFailed(error.message), y: [], primalObjective: .nan, dualObjective: .nan)
        }
        let n = Int32(problem.order), k = problem.constraints.count
        let c = blockMatrix(problem.blocks, entries: problem.constant)
        let a = allocate(Double.self, problem.objective.count + 1)
        for (i, v) in problem.objective.enumerated() { a[i + 1] = v }
        let constraints = allocate(constraintmatrix.self, k + 1)
        for (i, entries) in problem.constraints.enumerated() {
            constraints[i + 1].blocks = sparseBlocks(entries, constraint: i + 1, blocks: problem.blocks)
        }
        // The answer as the child sends it: return code, primal and dual objectives, y₁ … y_k.
        let answer = allocate(Double.self, k + 3)
        defer {
            library.freeProblem(n, Int32(k), c, a, constraints, blockmatrix(), nil, blockmatrix())
            free(answer)
        }
        let failed = { (status: CSDPStatus) in
            SDPSolution(status: status, y: [], primalObjective: .nan, dualObjective: .nan)
        }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return failed(.processFailed("no pipe to a CSDP process (errno \(errno))")) }
        let fault: Int32 = switch injectedFault { case "csdp-exit": 1; case "csdp-hang": 2; default: 0 }
        fflush(nil)
        let parent = getpid()
        let child = fork()
        if child == 0 {
            // Killed with qrobust (the check covers a parent gone before the request).
            if qrobust_die_with_parent() != 0 || getppid() != parent { _exit(4) }
            close(ends[0])
            if fault == 1 { _exit(205) }
            if fault == 2 { while true { pause() } }
            solveInChild(library, n, Int32(k), c, a, constraints, answer: answer, to: ends[1])
        }
        close(ends[1])
        defer { close(ends[0]) }
        guard child > 0 else { return failed(.processFailed("no CSDP process could be started (errno \(errno))")) }

        let bytes = (k + 3) * MemoryLayout<Double>.stride
        var received = 0
        var stoppedAtDeadline = false
        while true {
            if let deadline, Date() >= deadline {
                kill(child, SIGKILL)
                stoppedAtDeadline = true
                break
            }
            var request = pollfd(fd: ends[0], events: Int16(POLLIN), revents: 0)
            let ready = poll(&request, 1, 50)
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 { kill(child, SIGKILL); break }  // the pipe failed: no answer (reported below)
            if ready == 0 { continue }
            let count = read(ends[0], UnsafeMutableRawPointer(answer) + received, max(bytes - received, 1))
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }  // end of file: the child is done
            received = min(received + count, bytes)
        }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        if stoppedAtDeadline { return failed(.timeLimit) }
        let exited = status & 0x7f == 0, exitCode = (status >> 8) & 0xff
        guard exited, exitCode == 0, received == bytes else {
            if !exited { return failed(.processFailed("CSDP's process ended by signal \(status & 0x7f)")) }
            return failed(.processFailed(exitCode == 0
                ? "CSDP's process ended without an answer"
                : "CSDP ended its process with exit(\(exitCode)), as it does when memory runs out ('Storage allocation failed!')"))
        }
        return SDPSolution(status: CSDPStatus(code: Int(answer[0])), y: (0..<k).map { answer[$0 + 3] },
                           primalObjective: answer[1], dualObjective: answer[2])
    }

    /// The child's whole life: stdout to /dev/null, CSDP, the answer to the
    /// pipe, `_exit`. Only C calls on memory allocated before the fork.
    private static func solveInChild(_ library: CSDPLibrary, _ n: Int32, _ k: Int32, _ c: blockmatrix, _ a: UnsafeMutablePointer<Double>,
                                     _ constraints: UnsafeMutablePointer<constraintmatrix>,
                                     answer: UnsafeMutablePointer<Double>, to pipe: Int32) -> Never {
        let null = open("/dev/null", O_WRONLY)
        if null >= 0 { dup2(null, STDOUT_FILENO) }
        var x = blockmatrix(), z = blockmatrix()
        var y: UnsafeMutablePointer<Double>? = nil
        var primal = 0.0, dual = 0.0
        library.initialSolution(n, k, c, a, constraints, &x, &y, &z)
        let code = library.easySDP(n, k, c, a, constraints, 0, &x, &y, &z, &primal, &dual)
        answer[0] = Double(code)
        answer[1] = primal
        answer[2] = dual
        var i = 0
        while i < Int(k) {
            answer[i + 3] = y?[i + 1] ?? .nan
            i += 1
        }
        let raw = UnsafeRawPointer(answer)
        var sent = 0, total = (Int(k) + 3) * MemoryLayout<Double>.stride
        while sent < total {
            let count = write(pipe, raw + sent, total - sent)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { _exit(3) }
            sent += count
        }
        _exit(0)
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
}
