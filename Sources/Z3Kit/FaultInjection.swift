import Foundation

/// A test-only hook: the environment variable `QROBUST_TEST_FAULT=z3-check`
/// makes every solver and optimiser check throw a ``Z3Error`` as Z3 would on
/// an internal failure, so that tests can see how each caller reports it
/// (one line, exit 70; never a crash or a wrong answer). Read once at start;
/// nothing sets it outside the tests.
enum FaultInjection {
    static let failsChecks = ProcessInfo.processInfo.environment["QROBUST_TEST_FAULT"] == "z3-check"

    /// Throws the injected failure when the hook is on.
    static func check() throws {
        if failsChecks { throw Z3Error(code: .exception, message: "injected failure (QROBUST_TEST_FAULT=z3-check)") }
    }
}
