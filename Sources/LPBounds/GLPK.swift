import CGLPK
import Foundation

/// One GLPK problem object (`glp_prob`), loaded from a ``LinearProgram`` and
/// re-solved after bound changes from its last basis (warm start).
///
/// GLPK aborts the process on invalid arguments (`glp_error`); this wrapper
/// passes only valid ones: 1-based indices in range, finite bounds with
/// `lower ≤ upper`, and GLPK's terminal output switched off. GLPK keeps its
/// state per thread (Debian builds it with thread-local storage), and one
/// problem object is used by one thread at a time.
final class GLPKProblem {
    private let raw: OpaquePointer
    private let rowCount: Int32, columnCount: Int32

    /// Calls `glp_create_prob`, `glp_add_rows`, `glp_add_cols`, `glp_set_row_bnds`,
    /// `glp_set_col_bnds`, `glp_set_obj_coef`, `glp_load_matrix`.
    init(_ program: LinearProgram) {
        glp_term_out(GLP_OFF)
        raw = glp_create_prob()
        rowCount = Int32(program.rows.count)
        columnCount = Int32(program.variableCount)
        glp_set_obj_dir(raw, GLP_MAX)
        if rowCount > 0 { glp_add_rows(raw, rowCount) }
        if columnCount > 0 { glp_add_cols(raw, columnCount) }
        var ia: [Int32] = [0], ja: [Int32] = [0], ar: [Double] = [0]
        for (r, row) in program.rows.enumerated() {
            let i = Int32(r + 1)
            switch row.sense {
            case .atMost: glp_set_row_bnds(raw, i, GLP_UP, 0, row.bound)
            case .atLeast: glp_set_row_bnds(raw, i, GLP_LO, row.bound, 0)
            }
            for term in row.terms {
                ia.append(i)
                ja.append(Int32(term.variable + 1))
                ar.append(term.coefficient.midpoint)
            }
        }
        for j in 0..<program.variableCount {
            setBounds(j, lower: program.lower[j], upper: program.upper[j])
        }
        setObjective(program.objective)
        if ia.count > 1 { glp_load_matrix(raw, Int32(ia.count - 1), ia, ja, ar) }
    }

    deinit { glp_delete_prob(raw) }

    /// Calls `glp_set_col_bnds` (a fixed variable when the bounds meet).
    func setBounds(_ j: Int, lower: Double, upper: Double) {
        glp_set_col_bnds(raw, Int32(j + 1), lower == upper ? GLP_FX : GLP_DB, lower, upper)
    }

    /// Calls `glp_set_obj_coef`.
    func setObjective(_ coefficients: [Double]) {
        for (j, c) in coefficients.enumerated() { glp_set_obj_coef(raw, Int32(j + 1), c) }
    }

    enum Status { case optimal, infeasible, other(String) }

    /// Runs the dual simplex (then primal, if it fails) from the last basis.
    /// Calls `glp_init_smcp`, `glp_simplex`, `glp_get_status`.
    func solve(milliseconds: Int32?) -> Status {
        var parameters = glp_smcp()
        glp_init_smcp(&parameters)
        parameters.msg_lev = GLP_MSG_OFF
        parameters.meth = GLP_DUALP
        parameters.presolve = GLP_OFF
        if let milliseconds { parameters.tm_lim = max(1, milliseconds) }
        var code = glp_simplex(raw, &parameters)
        if code == GLP_EFAIL || code == GLP_ESING || code == GLP_ECOND || code == GLP_EBADB {
            // A singular, ill-conditioned or invalid basis from an earlier solve: start afresh once.
            glp_adv_basis(raw, 0)
            code = glp_simplex(raw, &parameters)
        }
        guard code == 0 else { return .other(Self.describe(code)) }
        switch glp_get_status(raw) {
        case GLP_OPT: return .optimal
        case GLP_NOFEAS: return .infeasible
        case let status: return .other("GLPK status \(status)")
        }
    }

    /// The status of every row, then of every column, in the current basis.
    /// Calls `glp_get_row_stat` and `glp_get_col_stat`.
    var basis: [Int32] {
        (0..<rowCount).map { glp_get_row_stat(raw, $0 + 1) } + (0..<columnCount).map { glp_get_col_stat(raw, $0 + 1) }
    }

    /// Restores statuses from ``basis`` (of this problem; the next solve starts
    /// from them, or afresh if they do not form a valid basis). Calls
    /// `glp_set_row_stat` and `glp_set_col_stat`.
    func setBasis(_ statuses: [Int32]) {
        guard statuses.count == Int(rowCount + columnCount) else { return }
        for i in 0..<Int(rowCount) { glp_set_row_stat(raw, Int32(i + 1), statuses[i]) }
        for j in 0..<Int(columnCount) { glp_set_col_stat(raw, Int32(j + 1), statuses[Int(rowCount) + j]) }
    }

    /// The primal values of the variables. Calls `glp_get_col_prim`.
    var point: [Double] { (0..<columnCount).map { glp_get_col_prim(raw, $0 + 1) } }

    /// The row duals of the last solve. Calls `glp_get_row_dual`.
    var rowDuals: [Double] { (0..<rowCount).map { glp_get_row_dual(raw, $0 + 1) } }

    private static func describe(_ code: Int32) -> String {
        switch code {
        case GLP_ETMLIM: "the LP time limit was reached"
        case GLP_EITLIM: "the LP iteration limit was reached"
        case GLP_EFAIL, GLP_ESING, GLP_ECOND: "GLPK found the basis singular or ill-conditioned"
        default: "GLPK failed (code \(code))"
        }
    }
}
