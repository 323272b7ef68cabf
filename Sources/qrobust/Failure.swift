import ArgumentParser
import ExactArithmetic
import Compression
import Foundation
import NeuralNetwork
import Queries
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

/// Prints one line to standard error. Control characters in it (a CR or a
/// newline copied from a file or a path) are escaped, so it stays one line.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((escapingControlCharacters(message) + "\n").utf8))
}

/// Whether progress lines go to stderr: when it is a terminal, or when the
/// environment sets `QROBUST_PROGRESS=1` (for a batch job's log). Scripts that
/// read stderr then see at most the one error line.
let showsProgress = isatty(STDERR_FILENO) == 1 || ProcessInfo.processInfo.environment["QROBUST_PROGRESS"] == "1"

/// Prints a progress line to stderr when ``showsProgress``.
func printProgress(_ message: String) {
    if showsProgress { printError(message) }
}

/// `text` with every control character written as an escape (`\r`, `\n`, `\t`, `\u{1b}`).
func escapingControlCharacters(_ text: String) -> String {
    var escaped = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\n": escaped += "\\n"
        case "\r": escaped += "\\r"
        case "\t": escaped += "\\t"
        default:
            if scalar.properties.generalCategory == .control {
                escaped += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
    }
    return escaped
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

/// Checks `--jobs` against ``GlobalQuery/maximumJobs``.
func validateJobs(_ jobs: Int) throws {
    guard (1...GlobalQuery.maximumJobs).contains(jobs) else {
        throw ValidationError("--jobs must be between 1 and \(GlobalQuery.maximumJobs), found \(jobs).")
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
    case let error as QueryError:
        let hint = switch error.setting {
        case .outputKind: " [--output-kind sigmoid|softmax|logits]"
        case .metric: " [--metric]"
        case nil: ""
        }
        printError("qrobust: error: \(error)\(hint)")
        return ExitCode(Exit.badData)
    case is ModelError, is CompressionError, is StudyError:
        printError("qrobust: error: \(error)")
        return ExitCode(Exit.badData)
    case let error as InternalError:
        printError("qrobust: \(error)")
        return ExitCode(Exit.internalError)
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
