import ArgumentParser
import Compression
import Foundation
import NeuralNetwork
import Robustness
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

/// Runs a command body, turning library errors into one clear line on stderr
/// and the documented exit code.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch where error is ModelError || error is QueryError || error is CompressionError {
        printError("qrobust: error: \(error)")
        throw ExitCode(Exit.badData)
    } catch let error as Z3Error {
        printError("qrobust: solver error: \(error)")
        throw ExitCode(Exit.internalError)
    } catch {
        printError("qrobust: error: \(error)")
        throw ExitCode(Exit.internalError)
    }
}
