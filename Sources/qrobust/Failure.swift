import ArgumentParser
import ExactArithmetic
import Compression
import Foundation
import NeuralNetwork
import Robustness
import SDPBounds
import Study
import Z3Kit

/// Exit codes documented in `qrobust --help` and the README.
enum Exit {
    static let robust: Int32 = 0
    static let notRobust: Int32 = 1
    static let unknown: Int32 = 2
    static let badData: Int32 = 65
    static let internalError: Int32 = 70
}

/// Prints one line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// The exit code of an answer: its verdict's, or for a measurement without
/// τ, 0 when the interval met the tolerance and 2 when a limit stopped it.
func answerExitCode(verdict: Verdict?, reason: String?) -> Int32 {
    switch verdict {
    case .robust: Exit.robust
    case .notRobust: Exit.notRobust
    case .unknown: Exit.unknown
    case nil: reason == nil ? Exit.robust : Exit.unknown
    }
}

/// Reads an `--input` vector exactly (decimals or fractions, comma separated).
func parseInput(_ text: String) throws -> [Rational] {
    let parsed = Rational.parseList(text)
    guard let point = parsed.values else {
        throw QueryError("--input: '\(parsed.bad ?? "")' is not a number (write e.g. --input 0.5,-0.2)")
    }
    return point
}

/// Checks the options `local`, `global` and `bits` share.
func validateThresholds(tau: String?, tolerance: String, timeout: Double?) throws {
    if let tau {
        guard let value = Rational(parsing: tau), value.isPositive else {
            throw ValidationError("--tau must be a positive number, found '\(tau)'.")
        }
    }
    guard let value = Rational(parsing: tolerance), value.isPositive else {
        throw ValidationError("--tolerance must be a positive number, found '\(tolerance)'.")
    }
    if let timeout, !(timeout > 0 && timeout.isFinite) {
        throw ValidationError("--timeout must be a positive number of seconds, found \(timeout).")
    }
}

/// Runs a command body, turning library errors into one clear line on stderr
/// and the documented exit code.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch {
        throw translated(error)
    }
}

/// The same for asynchronous command bodies.
func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch {
        throw translated(error)
    }
}

/// Prints a library error as one line and gives the exit code for it.
private func translated(_ error: any Error) -> any Error {
    switch error {
    case let error as ExitCode:
        return error
    case is ModelError, is QueryError, is CompressionError, is StudyError:
        printError("qrobust: error: \(error)")
        return ExitCode(Exit.badData)
    case let error as Z3Error:
        printError("qrobust: solver error: \(error)")
        return ExitCode(Exit.internalError)
    case is SDPSolveError, is SDPProblemError:
        printError("qrobust: SDP error: \(error)")
        return ExitCode(Exit.internalError)
    default:
        printError("qrobust: error: \(error)")
        return ExitCode(Exit.internalError)
    }
}
