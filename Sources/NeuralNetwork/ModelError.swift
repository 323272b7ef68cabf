/// A problem with a network or its file, naming where it is.
///
/// Rendered as one line, `FILE: PLACE: PROBLEM` (for example
/// `net.nnet: line 12: expected 5 numbers, found 4`), which is what the CLI prints.
public struct ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file the network came from, if any.
    public var file: String?
    /// Where in the file or network: `line 12`, `layers[1].weights[3][2]`, …
    public var place: String
    /// What is wrong.
    public var problem: String

    public init(file: String? = nil, place: String, problem: String) {
        self.file = file
        self.place = place
        self.problem = problem
    }

    public var description: String {
        [file, place.isEmpty ? nil : place, problem].compactMap { $0 }.joined(separator: ": ")
    }

    /// The same error, attributed to `file` (unless it already names one).
    public func inFile(_ file: String) -> ModelError {
        var copy = self
        if copy.file == nil { copy.file = file }
        return copy
    }
}
