import CZ3

/// One Z3 context in reference-counting mode, with Z3's exiting error handler
/// replaced by a recording one.
///
/// A context is not thread-safe: use one per thread or task (see
/// ``InterruptHandle`` for the one call that may come from elsewhere). Every
/// object made from a context keeps it alive.
public final class Context {
    /// The underlying `Z3_context`; only Z3Kit touches it.
    let raw: Z3_context

    /// Creates a context. Throws if Z3 cannot allocate one.
    /// Calls `Z3_mk_config`, `Z3_del_config`, `Z3_mk_context_rc`, `Z3_set_error_handler`.
    public init() throws {
        guard let config = Z3_mk_config() else { throw Z3Error.usage("Z3_mk_config failed") }
        defer { Z3_del_config(config) }
        guard let context = Z3_mk_context_rc(config) else { throw Z3Error.usage("Z3_mk_context_rc failed") }
        // First thing after creation: never let Z3 call exit().
        Z3_set_error_handler(context) { _, _ in }
        self.raw = context
    }

    deinit { Z3_del_context(raw) }

    /// Throws the error recorded by the last C call, if any.
    func checkError() throws {
        let code = Z3_get_error_code(raw)
        guard code != Z3_OK else { return }
        let message = Z3_get_error_msg(raw, code).map { String(cString: $0) } ?? "unknown error"
        throw Z3Error(code: Z3Error.Code(code), message: message)
    }

    /// Throws unless every term belongs to this context. Z3 does not check:
    /// an AST of another context given to a C call crashes inside libz3.
    func requireOwn(_ terms: [Term]) throws {
        if let stranger = terms.first(where: { $0.context !== self }) {
            throw Z3Error.usage("a term of another context was combined with this one's: \(stranger)")
        }
    }

    /// Runs one C call that returns an AST, checks for an error and wraps it.
    func term(_ make: () -> Z3_ast?) throws -> Term {
        let ast = make()
        try checkError()
        guard let ast else { throw Z3Error.usage("Z3 returned no term") }
        return Term(context: self, ast: ast)
    }

    /// Interns a symbol name.
    func symbol(_ name: String) -> Z3_symbol? { Z3_mk_string_symbol(raw, name) }

    /// A handle that may interrupt this context's running check from another thread.
    public var interruptHandle: InterruptHandle { InterruptHandle(context: self) }

    /// Z3's version, e.g. "4.8.12.0".
    /// Calls `Z3_get_version`.
    public static var version: String {
        var major: UInt32 = 0, minor: UInt32 = 0, build: UInt32 = 0, revision: UInt32 = 0
        Z3_get_version(&major, &minor, &build, &revision)
        return "\(major).\(minor).\(build).\(revision)"
    }
}

/// Interrupts a running `check` of one context; the only Z3Kit object that may
/// be used from a thread other than its context's.
///
/// `Z3_interrupt` is documented as safe to call concurrently with a running
/// check; the check then ends with `unknown("interrupted")` (Z3 4.8.12's wording; newer releases say "canceled").
public final class InterruptHandle: @unchecked Sendable {
    private let context: Context

    init(context: Context) { self.context = context }

    /// Asks the running check (if any) to stop as soon as possible.
    /// Calls `Z3_interrupt`.
    public func interrupt() { Z3_interrupt(context.raw) }
}
