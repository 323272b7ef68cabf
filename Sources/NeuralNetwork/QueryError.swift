/// A question about a network that cannot be answered as asked: a box of the
/// wrong size, τ ≤ 0, a metric the output does not support, … Every query
/// type of qrobust (local, global, SDP) reports its own through it.
public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
