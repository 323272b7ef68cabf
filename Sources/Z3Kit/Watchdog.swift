import CZ3
import Foundation

/// Enforces a wall-clock limit on one check by calling `Z3_interrupt` when it
/// runs out, and again every 50 ms until the check returns.
///
/// Z3 4.8.12 does not always honour its own `timeout` parameter (nonlinear
/// integer problems run on past it), but it does honour an interrupt, as long
/// as the check has reached its interruptible part: an interrupt that arrives
/// just before is lost, hence the repeats. After ``disarm()`` it does nothing
/// more, so it can never cancel a later check.
final class Watchdog: @unchecked Sendable {
    private let condition = NSCondition()
    private var armed = true
    private var didFire = false
    private let context: Context

    /// Arms a watchdog that interrupts `context` after `milliseconds`, then every 50 ms.
    ///
    /// It runs on a thread of its own, not on a Dispatch queue: checks block
    /// their threads, and when they occupy Dispatch's small pool (2 cores here) a
    /// queued timer never runs. The thread ends as soon as the watchdog is disarmed.
    init(context: Context, milliseconds: UInt32) {
        self.context = context
        let firstDeadline = Date().addingTimeInterval(Double(milliseconds) / 1000)
        let thread = Thread { [self] in
            var deadline = firstDeadline
            condition.lock()
            defer { condition.unlock() }
            while armed {
                if !condition.wait(until: deadline), armed {
                    didFire = true
                    Z3_interrupt(self.context.raw)
                    deadline = Date().addingTimeInterval(0.05)
                }
            }
        }
        thread.start()
    }

    /// Stops the watchdog; returns whether it interrupted the check.
    func disarm() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        armed = false
        condition.signal()
        return didFire
    }
}

/// Runs one check under `limits`, turning a watchdog interrupt into
/// `unknown("timeout")`.
func withTimeLimit(_ context: Context, _ limits: SolverLimits, _ check: () throws -> CheckResult) rethrows -> CheckResult {
    guard let ms = limits.timeoutMilliseconds else { return try check() }
    let watchdog = Watchdog(context: context, milliseconds: ms)
    // Disarmed on every way out: a check that throws must not leave the
    // watchdog interrupting this context's later checks.
    var disarmed = false
    defer { if !disarmed { _ = watchdog.disarm() } }
    let result = try check()
    disarmed = true
    if watchdog.disarm(), case .unknown = result { return .unknown(reason: "timeout") }
    return result
}
