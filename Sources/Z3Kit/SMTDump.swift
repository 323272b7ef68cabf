import Foundation
import Synchronization

/// Writes every solver query that Z3 answers `unsat` to a folder as an
/// SMT-LIB 2 file, so that each proof step behind a `robust` answer (a box
/// closed, a bisection probe, a confirmed optimum) can be re-checked by
/// another solver or another Z3 (`z3 file.smt2` must print `unsat`).
///
/// Set for a whole query as a task-local value: checks in child tasks (the
/// global search's workers) inherit it.
///
///     try await SMTDump.$current.withValue(SMTDump(directory: url)) { … }
public final class SMTDump: Sendable {
    /// The dump in effect for the current task, if any.
    @TaskLocal public static var current: SMTDump?

    public let directory: URL
    private let written = Mutex(0)

    /// Creates the folder if needed.
    /// - Throws: ``Z3Error`` with ``Z3Error/Code/fileAccess`` when it cannot be created.
    public init(directory: URL) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw Z3Error(code: .fileAccess, message: "\(directory.path): cannot create the folder for SMT-LIB dumps (\(error.localizedDescription))")
        }
    }

    /// How many files have been written.
    public var count: Int { written.withLock { $0 } }

    /// Writes one unsat query: the solver's assertions, then `check-sat`
    /// under the assumptions (if any).
    func record(_ solver: Solver, assumptions: [Term]) throws {
        let number = written.withLock { count -> Int in
            count += 1
            return count
        }
        var text = "; qrobust: a query Z3 \(Context.version) answered unsat\n(set-logic ALL)\n"
        text += solver.smtLib
        text += assumptions.isEmpty ? "(check-sat)\n" : "(check-sat-assuming (\(assumptions.map(\.description).joined(separator: " "))))\n"
        let url = directory.appendingPathComponent(String(format: "unsat-%06d.smt2", number))
        do { try text.write(to: url, atomically: false, encoding: .utf8) } catch {
            throw Z3Error(code: .fileAccess, message: "\(url.path): cannot write (\(error.localizedDescription))")
        }
    }
}
