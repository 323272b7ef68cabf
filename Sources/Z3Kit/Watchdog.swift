import CZ3
import Dispatch
import Foundation

/// Enforces a wall-clock limit on one check by calling `Z3_interrupt` when it
/// runs out.
///
/// Z3 4.8.12 does not always honour its own `timeout` parameter (nonlinear
/// integer problems run on past it), but it does honour an interrupt. The
/// watchdog fires only while the check is running: after ``disarm()`` a late
/// timer does nothing, so it can never cancel a later check.
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var armed = true
    private var didFire = false
    private let context: Context

    /// Arms a watchdog that interrupts `context` after `milliseconds`.
    init(context: Context, milliseconds: UInt32) {
        self.context = context
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(milliseconds))) { [self] in
            lock.lock()
            defer { lock.unlock() }
            guard armed else { return }
            didFire = true
            Z3_interrupt(self.context.raw)
        }
    }

    /// Stops the watchdog; returns whether it interrupted the check.
    func disarm() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        armed = false
        return didFire
    }
}

/// Runs one check under `limits`, turning a watchdog interrupt into
/// `unknown("timeout")`.
func withTimeLimit(_ context: Context, _ limits: SolverLimits, _ check: () throws -> CheckResult) rethrows -> CheckResult {
    guard let ms = limits.timeoutMilliseconds else { return try check() }
    let watchdog = Watchdog(context: context, milliseconds: ms)
    let result = try check()
    let fired = watchdog.disarm()
    if fired, case .unknown = result { return .unknown(reason: "timeout") }
    return result
}
