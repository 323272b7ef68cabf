import CZ3
import ExactArithmetic

/// Arithmetic, comparison and Boolean operators on terms. They throw
/// ``Z3Error`` when Z3 rejects the sorts (one `try` covers a whole expression).
/// `==` builds an equation term; use `===` for identity of Swift objects.
/// Each operator calls the Z3 constructor it reads as: `Z3_mk_add`, `Z3_mk_sub`,
/// `Z3_mk_mul`, `Z3_mk_div`, `Z3_mk_unary_minus`, `Z3_mk_eq`, `Z3_mk_lt`, `Z3_mk_le`,
/// `Z3_mk_gt`, `Z3_mk_ge`, `Z3_mk_and`, `Z3_mk_or`, `Z3_mk_not`; terms of two
/// contexts are refused first (``Z3Error/Code/kitUsage``).
extension Term {
    private static func binary(_ a: Term, _ b: Term, _ make: (Z3_context, Z3_ast, Z3_ast) -> Z3_ast?) throws -> Term {
        try a.context.requireOwn([b])
        return try withExtendedLifetime((a, b)) { try a.context.term { make(a.context.raw, a.ast, b.ast) } }
    }

    public static func + (a: Term, b: Term) throws -> Term { try a.context.nary([a, b]) { Z3_mk_add($0, $1, $2) } }
    public static func - (a: Term, b: Term) throws -> Term { try a.context.nary([a, b]) { Z3_mk_sub($0, $1, $2) } }
    public static func * (a: Term, b: Term) throws -> Term { try a.context.nary([a, b]) { Z3_mk_mul($0, $1, $2) } }
    public static func / (a: Term, b: Term) throws -> Term { try binary(a, b) { Z3_mk_div($0, $1, $2) } }

    /// `c · t` for an exact rational coefficient.
    public static func * (c: Rational, t: Term) throws -> Term { try t.context.real(c) * t }
    /// `t + c` for an exact rational constant.
    public static func + (t: Term, c: Rational) throws -> Term { try t + t.context.real(c) }

    public static prefix func - (a: Term) throws -> Term {
        try withExtendedLifetime(a) { try a.context.term { Z3_mk_unary_minus(a.context.raw, a.ast) } }
    }

    public static func == (a: Term, b: Term) throws -> Term { try binary(a, b) { Z3_mk_eq($0, $1, $2) } }
    public static func != (a: Term, b: Term) throws -> Term { try !(a == b) }
    public static func < (a: Term, b: Term) throws -> Term { try binary(a, b) { Z3_mk_lt($0, $1, $2) } }
    public static func <= (a: Term, b: Term) throws -> Term { try binary(a, b) { Z3_mk_le($0, $1, $2) } }
    public static func > (a: Term, b: Term) throws -> Term { try binary(a, b) { Z3_mk_gt($0, $1, $2) } }
    public static func >= (a: Term, b: Term) throws -> Term { try binary(a, b) { Z3_mk_ge($0, $1, $2) } }

    public static func && (a: Term, b: Term) throws -> Term { try a.context.and([a, b]) }
    public static func || (a: Term, b: Term) throws -> Term { try a.context.or([a, b]) }
    public static prefix func ! (a: Term) throws -> Term {
        try withExtendedLifetime(a) { try a.context.term { Z3_mk_not(a.context.raw, a.ast) } }
    }
}
