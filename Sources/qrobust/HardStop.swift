import Foundation
import Synchronization

/// The last resort behind `--timeout`.
///
/// The library stops its own work at the time limit, interrupts Z3, and
/// answers without a global search worker that is still stuck in Z3; but a
/// local query's solver checks and the bound computation before a search
/// are not covered (an arithmetic check with huge exact coefficients ran
/// 13 s past its limit). So the command keeps the report
/// that would stand if it stopped now (``update(_:)``); if the run is still
/// going at `limit × 1.05 + 0.5 s`, a thread of its own prints that report
/// and ends the process with exit 2 ("unknown"), whatever Z3 is doing.
final class HardStop: Sendable {
    private let state = Mutex<(finished: Bool, report: String?)>((false, nil))

    /// Arms the stop; nothing happens without a limit.
    init(limit: Double?) {
        guard let limit else { return }
        let deadline = Date().addingTimeInterval(limit * 1.05 + 0.5)
        let thread = Thread { [self] in
            Thread.sleep(until: deadline)
            let report = state.withLock { state -> String? in
                guard !state.finished else { return nil }
                state.finished = true
                return state.report ?? ""
            }
            guard let report else { return }
            if !report.isEmpty { print(report) }
            printError("qrobust: the time limit passed during a step that cannot be interrupted (in Z3 or a large bound computation); the bounds proved until then are reported")
            fflush(nil)  // every stream, stdout among them
            _exit(Exit.unknown)
        }
        thread.start()
    }

    /// Replaces the report printed if the stop fires.
    func update(_ report: String) {
        state.withLock { $0.report = report }
    }

    /// Claims the right to print the final report; after it the stop never fires.
    /// If the stop has fired already, waits for it to end the process.
    func finish() {
        let won = state.withLock { state -> Bool in
            if state.finished { return false }
            state.finished = true
            return true
        }
        if !won { while true { pause() } }
    }
}
