/// What a query measures between the original and the compressed outputs
/// (docs/semantics.md §1.1).
public enum Metric: String, Sendable, CaseIterable, Codable {
    /// `|σ(z') − σ(z)|` (one output) or `|softmax(z')_c − softmax(z)_c|` for the
    /// originally predicted class c. Needs a sigmoid or softmax output.
    case probability
    /// `max_i |z'_i − z_i|`.
    case logit
    /// Whether the predicted class can change. The reported deviation is the
    /// largest margin `max_{j≠c} (z'_j − z'_c)` (one output: how far z' reaches
    /// past 0 toward the other class); the class flips once it reaches 0.
    case flip
}

/// The answer of a check (docs/semantics.md §1.4).
public enum Verdict: String, Sendable, Codable {
    /// Proved: no compressed network in the model exceeds τ (or flips the class).
    case robust
    /// A witness, replayed in exact arithmetic outside Z3, exceeds τ.
    case notRobust
    /// Neither could be shown within the limits; the bounds say how far it got.
    case unknown
}

/// How a perturbation set is encoded for Z3.
public enum Encoding: String, Sendable, CaseIterable {
    /// The Lemma of docs/semantics.md §2: one interval variable per neuron; linear
    /// real arithmetic with disjunctions (QF_LRA). Fast and exact.
    case linear
    /// Every parameter as a Z3 variable; products of variables (QF_NRA).
    /// Slow; kept to cross-check the linear encoding on tiny networks.
    case nonlinear
}
