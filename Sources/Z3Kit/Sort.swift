import CZ3

/// A Z3 sort (Bool, Int, Real).
public final class Sort: CustomStringConvertible {
    public let context: Context
    let raw: Z3_sort

    init(context: Context, raw: Z3_sort) {
        self.context = context
        self.raw = raw
        Z3_inc_ref(context.raw, Z3_sort_to_ast(context.raw, raw))
    }

    deinit { Z3_dec_ref(context.raw, Z3_sort_to_ast(context.raw, raw)) }

    public var description: String {
        withExtendedLifetime(self) { Z3_sort_to_string(context.raw, raw).map { String(cString: $0) } ?? "?" }
    }
}

extension Context {
    private func sort(_ make: (Z3_context) -> Z3_sort?) throws -> Sort {
        let raw = make(self.raw)
        try checkError()
        guard let raw else { throw Z3Error.usage("Z3 returned no sort") }
        return Sort(context: self, raw: raw)
    }

    public func realSort() throws -> Sort { try sort { Z3_mk_real_sort($0) } }
    public func intSort() throws -> Sort { try sort { Z3_mk_int_sort($0) } }
    public func boolSort() throws -> Sort { try sort { Z3_mk_bool_sort($0) } }
}
