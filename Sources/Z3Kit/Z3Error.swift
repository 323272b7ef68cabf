import CZ3

/// An error reported by Z3 through the context's recording error handler, or
/// a misuse detected by Z3Kit before it reached Z3.
///
/// Z3's default handler calls `exit()`; Z3Kit installs a handler that only
/// records the code, then checks it after every C call and throws this error,
/// so a bad term never takes the process down and the context stays usable.
public struct Z3Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of error: Z3's `Z3_error_code`, named, or ``Code/kitUsage``.
    public let code: Code
    /// Z3's message for the code, or Z3Kit's own message.
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// A Z3Kit-side error: wrong use of the API, e.g. reading a non-numeral as
    /// a rational, or combining terms of two contexts.
    static func usage(_ message: String) -> Z3Error { Z3Error(code: .kitUsage, message: message) }

    public var description: String {
        code == .kitUsage ? "Z3Kit: \(message)" : "Z3 error \(code.rawValue) (\(code)): \(message)"
    }

    /// Z3's error codes by name (z3_api.h's `Z3_error_code`), as swift-system's
    /// `Errno` names errno values. Unknown values keep their number.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        init(_ code: Z3_error_code) { self.rawValue = Int(code.rawValue) }

        /// `Z3_SORT_ERROR`: terms of the wrong sort.
        public static let sortError = Code(Z3_SORT_ERROR)
        /// `Z3_IOB`: an index out of bounds.
        public static let indexOutOfBounds = Code(Z3_IOB)
        /// `Z3_INVALID_ARG`: an invalid argument, e.g. a numeral string Z3 cannot read.
        public static let invalidArgument = Code(Z3_INVALID_ARG)
        /// `Z3_PARSER_ERROR`: SMT-LIB text that does not parse.
        public static let parserError = Code(Z3_PARSER_ERROR)
        /// `Z3_NO_PARSER`: no parser for the format.
        public static let noParser = Code(Z3_NO_PARSER)
        /// `Z3_INVALID_PATTERN`: a quantifier pattern Z3 refuses.
        public static let invalidPattern = Code(Z3_INVALID_PATTERN)
        /// `Z3_MEMOUT_FAIL`: Z3 ran out of memory.
        public static let memoryOut = Code(Z3_MEMOUT_FAIL)
        /// `Z3_FILE_ACCESS_ERROR`: a file could not be read or written.
        public static let fileAccess = Code(Z3_FILE_ACCESS_ERROR)
        /// `Z3_INTERNAL_FATAL`: an internal error in Z3.
        public static let internalFatal = Code(Z3_INTERNAL_FATAL)
        /// `Z3_INVALID_USAGE`: an API call in the wrong state (e.g. a model before a check).
        public static let invalidUsage = Code(Z3_INVALID_USAGE)
        /// `Z3_DEC_REF_ERROR`: a reference count went below zero.
        public static let decRefError = Code(Z3_DEC_REF_ERROR)
        /// `Z3_EXCEPTION`: any other exception; Z3 4.8 also reports most sort
        /// mismatches in arithmetic this way.
        public static let exception = Code(Z3_EXCEPTION)
        /// Not Z3's: Z3Kit refused the call before it reached Z3.
        public static let kitUsage = Code(rawValue: -1)

        public var description: String {
            let names: [Code: String] = [
                .sortError: "sort error", .indexOutOfBounds: "index out of bounds", .invalidArgument: "invalid argument",
                .parserError: "parser error", .noParser: "no parser", .invalidPattern: "invalid pattern",
                .memoryOut: "out of memory", .fileAccess: "file access error", .internalFatal: "internal fatal error",
                .invalidUsage: "invalid usage", .decRefError: "reference count error", .exception: "exception",
                .kitUsage: "Z3Kit usage error",
            ]
            return names[self] ?? "code \(rawValue)"
        }
    }
}
