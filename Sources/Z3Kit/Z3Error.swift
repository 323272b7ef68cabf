import CZ3

/// An error reported by Z3 through the context's recording error handler, or
/// a misuse detected by Z3Kit before it reached Z3.
///
/// Z3's default handler calls `exit()`; Z3Kit installs a handler that only
/// records the code, then checks it after every C call and throws this error,
/// so a bad term never takes the process down and the context stays usable.
public struct Z3Error: Error, Sendable, CustomStringConvertible {
    /// Z3's `Z3_error_code` as a number (0 is OK; 1 sort error; 12 exception, which
    /// is also what Z3 4.8 reports for most sort mismatches in arithmetic).
    public let code: Int
    /// Z3's message for the code, or Z3Kit's own message.
    public let message: String

    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    /// A Z3Kit-side error (code -1): wrong use of the API, e.g. reading a
    /// non-numeral as a rational.
    static func usage(_ message: String) -> Z3Error { Z3Error(code: -1, message: message) }

    public var description: String {
        code >= 0 ? "Z3 error \(code): \(message)" : "Z3Kit: \(message)"
    }
}
