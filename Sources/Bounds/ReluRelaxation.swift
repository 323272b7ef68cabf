/// Linear relaxations of ReLU applied to symbolic forms.
///
/// Each function writes neuron k's post-activation forms into `output` given
/// its pre-activation forms. Slopes are rounded up where the relaxation's
/// validity needs them at least as large as the exact slope, so the result
/// stays sound in floating point.
enum ReluRelaxation {
    /// Neuron k of `y = max(0, v)` for a single network (Neurify-style): a
    /// stable neuron passes or zeroes its forms; an unstable one takes
    /// `y ≤ λ·(U(x) − U_min)` with `λ = U_max/(U_max − U_min)` over the upper
    /// form's own range, and `y ≥ L(x)` or `y ≥ 0`, whichever cuts less area.
    static func apply(_ k: Int, pre: FormPair, range: Interval, box: [Interval], into output: inout FormPair) {
        if range.lower >= 0 {
            output.lower.copy(k, from: pre.lower, k)
            output.upper.copy(k, from: pre.upper, k)
            return
        }
        output.lower.clear(k)
        output.upper.clear(k)
        if range.upper <= 0 { return }
        applyUpper(k, pre.upper, box: box, into: &output.upper)
        let lowerMax = pre.lower.maximum(k, over: box)
        if lowerMax > 0 && lowerMax > -range.lower {
            output.lower.copy(k, from: pre.lower, k)
        }
    }

    /// Upper form of `max(0, U(x))` from the upper form U of neuron k.
    static func applyUpper(_ k: Int, _ upper: LinearForms, box: [Interval], into output: inout LinearForms) {
        let uMin = upper.minimum(k, over: box), uMax = upper.maximum(k, over: box)
        if uMax <= 0 {
            output.clear(k)
        } else if uMin >= 0 {
            output.copy(k, from: upper, k)
        } else {
            output.copy(k, from: upper, k)
            output.shiftAndScale(k, shift: -uMin, by: (uMax / (uMax - uMin).nextDown).nextUp)
        }
    }

    /// Upper form of `max(0, d)` over `d ∈ [dl, du]` with `dl < 0 < du`: the
    /// chord `du·(d − dl)/(du − dl)` applied to d's upper form (it is increasing).
    static func chordOfPositivePart(_ k: Int, _ upper: LinearForms, range: Interval, into output: inout LinearForms) {
        output.copy(k, from: upper, k)
        let slope = (range.upper / (range.upper - range.lower).nextDown).nextUp
        output.shiftAndScale(k, shift: -range.lower, by: slope)
    }

    /// Lower form of `min(0, d)` over `d ∈ [dl, du]` with `dl < 0 < du`: the
    /// chord `−dl·(d − du)/(du − dl)` applied to d's lower form (it is increasing).
    static func chordOfNegativePart(_ k: Int, _ lower: LinearForms, range: Interval, into output: inout LinearForms) {
        output.copy(k, from: lower, k)
        let slope = (-range.lower / (range.upper - range.lower).nextDown).nextUp
        output.shiftAndScale(k, shift: -range.upper, by: slope)
    }
}
