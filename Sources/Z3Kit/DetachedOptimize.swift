import CZ3
import Foundation
import Synchronization

/// Z3's Optimize run so that its caller can walk away at the time limit.
///
/// Z3 polls for interrupts only where it deems it safe, and its optimiser can
/// run on for seconds after `Z3_interrupt`: inside `Z3_optimize_check`, a box
/// of a 30-input linear network ran 4 s past a 0.5 s limit although the
/// ``Watchdog`` interrupted it every 50 ms. So ``maximize(_:subjectTo:limits:grace:)``
/// translates the problem (`Z3_translate`) into a context of its own and
/// optimises it on a thread of its own. If the check has not returned `grace`
/// seconds after the limit, the caller gets `unknown("timeout")` at once, and
/// the thread finishes in the background and then frees its context. The
/// caller's context is never touched by that thread, so nothing is shared.
public enum DetachedOptimize {
    /// What one detached maximisation found.
    public struct Outcome {
        public var result: CheckResult
        /// The optimal model, translated back into the caller's context (sat only).
        public var model: Model?
        /// The objective's upper bound as Optimize reports it (sat only).
        public var upper: Optimize.Bound?
    }

    /// Maximises `objective` subject to `constraints` (non-strict only; see
    /// ``Optimize``) under `limits`, returning by `limit + grace` seconds.
    ///
    /// Without a time limit the optimisation runs on the calling thread.
    /// Calls `Z3_translate`, `Z3_model_translate` and the ``Optimize`` calls.
    public static func maximize(_ objective: Term, subjectTo constraints: [Term], limits: SolverLimits,
                                grace: Double = 0.2) throws -> Outcome {
        let source = objective.context
        try source.requireOwn(constraints)
        guard let milliseconds = limits.timeoutMilliseconds else {
            let run = try Run(objective: objective, constraints: constraints, limits: limits, target: source)
            return try run.outcome(in: source)
        }
        let run = try Run(objective: objective, constraints: constraints, limits: limits, target: try Context())
        let thread = Thread { run.execute() }
        thread.stackSize = 8 << 20  // as SolverThreads: Z3 recurses over terms
        thread.start()
        let waitUntil = DispatchTime.now() + .milliseconds(Int(milliseconds)) + grace
        if run.done.wait(timeout: waitUntil) == .timedOut, run.abandon() {
            return Outcome(result: .unknown(reason: "timeout"), model: nil, upper: nil)
        }
        return try run.outcome(in: source)
    }

    /// One optimisation, in its own context once translated.
    ///
    /// `@unchecked Sendable`: the Z3 objects are used by the worker thread
    /// between ``execute()``'s start and `done`'s signal, and by the caller only
    /// before the start or after the signal; `state` decides who finishes.
    private final class Run: @unchecked Sendable {
        enum State { case running, finished, abandoned }

        let context: Context
        let objective: Term
        let constraints: [Term]
        let limits: SolverLimits
        let done = DispatchSemaphore(value: 0)
        private let state = Mutex(State.running)
        private var result: Result<(CheckResult, Model?, Optimize.Bound?), any Error>?

        init(objective: Term, constraints: [Term], limits: SolverLimits, target: Context) throws {
            context = target
            self.objective = try Self.translate(objective, to: target)
            self.constraints = try constraints.map { try Self.translate($0, to: target) }
            self.limits = limits
        }

        private static func translate(_ term: Term, to target: Context) throws -> Term {
            if term.context === target { return term }
            return try withExtendedLifetime(term) {
                let ast = Z3_translate(term.context.raw, term.ast, target.raw)
                try term.context.checkError()
                try target.checkError()
                guard let ast else { throw Z3Error.usage("Z3_translate returned no term") }
                return Term(context: target, ast: ast)
            }
        }

        /// Runs the optimisation (on the worker thread, or inline without a limit).
        func execute() {
            result = Result {
                let optimizer = try Optimize(context: context, limits: limits)
                for constraint in constraints { try optimizer.assert(constraint) }
                let index = try optimizer.maximize(objective)
                let answer = try optimizer.check()
                guard answer == .sat else { return (answer, nil, nil) }
                return (answer, try optimizer.model(), try optimizer.upper(index))
            }
            state.withLock { state in
                if state == .running { state = .finished }
            }
            done.signal()
        }

        /// Marks the run abandoned unless it has just finished; returns whether it was abandoned.
        func abandon() -> Bool {
            state.withLock { state -> Bool in
                if state == .finished { return false }
                state = .abandoned
                return true
            }
        }

        /// The finished run's outcome, its model translated into `caller`.
        func outcome(in caller: Context) throws -> Outcome {
            if result == nil { execute() }
            let (answer, model, upper) = try result!.get()
            guard let model else { return Outcome(result: answer, model: nil, upper: upper) }
            if model.context === caller { return Outcome(result: answer, model: model, upper: upper) }
            let translated = withExtendedLifetime(model) { Z3_model_translate(context.raw, model.raw, caller.raw) }
            try context.checkError()
            try caller.checkError()
            guard let translated else { throw Z3Error.usage("Z3_model_translate returned no model") }
            return Outcome(result: answer, model: Model(context: caller, raw: translated), upper: upper)
        }
    }
}
