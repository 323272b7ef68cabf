/// A question about a network that cannot be answered as asked: a box of the
/// wrong size, τ ≤ 0, a metric the output does not support, … Every query
/// type of qrobust (local, global, SDP) reports its own through it.
///
/// Messages speak of the library's notions (the output kind, the metric), not
/// of any front end's options; ``setting`` names the notion that would fix
/// the question, so that a front end can add its own hint (the CLI names the flag).
public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// What the user could change to make the question answerable, if one thing would.
    public let setting: Setting?

    /// The settings a ``QueryError`` can point at.
    public enum Setting: String, Sendable, Equatable {
        /// How the outputs are read: sigmoid, softmax or raw logits.
        case outputKind
        /// The metric compared: probability, logit or flip.
        case metric
    }

    public init(_ message: String, setting: Setting? = nil) {
        self.message = message
        self.setting = setting
    }

    public var description: String { message }
}
