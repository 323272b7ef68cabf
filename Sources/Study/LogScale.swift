import Foundation

/// The logarithmic y axis of the study's SVG plots: whole decades from the
/// smallest positive value to the largest, with a grid line and label per decade.
struct LogScale {
    let lowExponent: Double, highExponent: Double
    /// The plot area's top edge, height, left edge and width in pixels.
    let top: Double, height: Double, left: Double, width: Double

    init(values: [Double], top: Double, height: Double, left: Double, width: Double) {
        let positive = values.filter { $0 > 0 }
        lowExponent = floor(log10(max(positive.min() ?? 1e-6, 1e-9)))
        highExponent = ceil(log10(max(positive.max() ?? 1, 1e-9)))
        (self.top, self.height, self.left, self.width) = (top, height, left, width)
    }

    /// The pixel row of a value (values below the lowest decade sit on it).
    func y(_ value: Double) -> Double {
        let e = log10(max(value, pow(10, lowExponent)))
        return top + height * (highExponent - e) / max(highExponent - lowExponent, 1)
    }

    /// The grid lines and their labels.
    var grid: [String] {
        stride(from: lowExponent, through: highExponent, by: 1).flatMap { e -> [String] in
            let yy = y(pow(10, e))
            return ["<line x1=\"\(left)\" y1=\"\(yy)\" x2=\"\(left + width)\" y2=\"\(yy)\" stroke=\"#ddd\"/>",
                    "<text x=\"\(left - 8)\" y=\"\(yy + 4)\" text-anchor=\"end\">1e\(Int(e))</text>"]
        }
    }

    /// The opening of an SVG picture: white background and a title.
    static func header(width: Double, height: Double, left: Double, title: String) -> [String] {
        ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">",
         "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
         "<text x=\"\(left)\" y=\"18\" font-size=\"14\">\(title)</text>"]
    }
}
