/// A bug in qrobust: an invariant that the code relies on failed (a witness
/// outside the perturbation set it was drawn from, a solver model that does
/// not satisfy its own constraints). Nothing is reported from the
/// computation that found it; the CLI prints it as one line and exits 70.
public struct InternalError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "internal error: \(message)" }
}
