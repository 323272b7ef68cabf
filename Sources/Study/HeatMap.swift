import Compression
import ExactArithmetic
import Foundation
import NeuralNetwork
import Robustness

/// The local deviation of a 2-input classifier over a grid of the input
/// plane, with its decision boundary: the heat map of the study.
public struct HeatMap: Sendable {
    /// Cell centres run over `[low, high]²` in `resolution` steps per axis.
    public var low: Double
    public var high: Double
    public var resolution: Int
    /// `deviation[i][j]` is the certified interval at (x₁ of column j, x₂ of row i).
    public var deviation: [[CertifiedInterval]]
    public var title: String

    /// Computes the certified local deviation under `set` at every cell centre.
    /// - Parameter progress: called after each row.
    /// - Parameter jobs: queries run at once (``LocalRobustness/checkAll(_:jobs:)``).
    public static func compute(_ network: Network, set: PerturbationSet, low: Double, high: Double, resolution: Int,
                               timeLimit: Double, jobs: Int, title: String, progress: ((Int) -> Void)? = nil) async throws -> HeatMap {
        guard network.inputSize == 2 else { throw StudyError("the heat map needs a network with 2 inputs, found \(network.inputSize)") }
        var rows: [[CertifiedInterval]] = []
        for i in 0..<resolution {
            let queries = try (0..<resolution).map { j in
                let point = [center(j, low, high, resolution), center(i, low, high, resolution)]
                guard let x = Rational(exactly: point[0]), let y = Rational(exactly: point[1]) else {
                    throw StudyError("the heat map's plane [\(low), \(high)]² has cell centres beyond binary64's range")
                }
                return LocalQuery(network: network, compression: .perturbation(set), input: [x, y],
                                  metric: .probability, timeLimit: timeLimit)
            }
            rows.append(try await LocalRobustness.checkAll(queries, jobs: jobs).map {
                CertifiedInterval($0.deviation, reason: $0.reason, seconds: $0.seconds)
            })
            progress?(i + 1)
        }
        return HeatMap(low: low, high: high, resolution: resolution, deviation: rows, title: title)
    }

    private static func center(_ i: Int, _ low: Double, _ high: Double, _ n: Int) -> Double {
        // A convex combination of the ends: finite whenever they are, even for [−1e308, 1e308].
        let t = (Double(i) + 0.5) / Double(n)
        return low * (1 - t) + high * t
    }

    /// The SVG: cells shaded by the upper end, and the boundary σ(z) = 1/2 traced on a
    /// finer grid (floating-point evaluation; it only orients the picture).
    public func svg(network: Network) -> String {
        let size = 420.0, left = 50.0, top = 40.0, cell = size / Double(resolution)
        let maximum = deviation.joined().map(\.upper).max() ?? 1
        var svg = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(size + left + 120))\" height=\"\(Int(size + top + 50))\" font-family=\"sans-serif\" font-size=\"12\">",
                   "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
                   "<text x=\"\(left)\" y=\"22\" font-size=\"14\">\(title)</text>"]
        for (i, row) in deviation.enumerated() {
            for (j, value) in row.enumerated() {
                let yy = top + size - Double(i + 1) * cell
                svg.append("<rect x=\"\(left + Double(j) * cell)\" y=\"\(yy)\" width=\"\(cell + 0.5)\" height=\"\(cell + 0.5)\" fill=\"\(Self.color(value.upper / max(maximum, 1e-12)))\"/>")
            }
        }
        let fine = 160
        func z(_ a: Double, _ b: Double) -> Double { network.logits(at: [a, b])[0] }
        for i in 0..<fine {
            for j in 0..<fine {
                let a = low + (high - low) * Double(j) / Double(fine), b = low + (high - low) * Double(i) / Double(fine)
                let step = (high - low) / Double(fine)
                let here = z(a, b) > 0
                if here != (z(a + step, b) > 0) || here != (z(a, b + step) > 0) {
                    let px = left + size * (a - low) / (high - low), py = top + size - size * (b - low) / (high - low)
                    svg.append("<rect x=\"\(px)\" y=\"\(py - 1.5)\" width=\"1.5\" height=\"1.5\" fill=\"black\"/>")
                }
            }
        }
        svg.append("<rect x=\"\(left)\" y=\"\(top)\" width=\"\(size)\" height=\"\(size)\" fill=\"none\" stroke=\"#333\"/>")
        svg.append("<text x=\"\(left + size / 2)\" y=\"\(top + size + 30)\" text-anchor=\"middle\">x₁ (black: decision boundary σ(z) = 1/2)</text>")
        svg.append("<text transform=\"translate(18 \(top + size / 2)) rotate(-90)\" text-anchor=\"middle\">x₂</text>")
        let segments = 40
        for step in 0..<segments {
            let t = (Double(step) + 0.5) / Double(segments), segment = size / Double(segments)
            svg.append("<rect x=\"\(left + size + 20)\" y=\"\(top + size - Double(step + 1) * segment)\" width=\"16\" height=\"\(segment + 0.5)\" fill=\"\(Self.color(t))\"/>")
        }
        for step in 0...4 {
            let t = Double(step) / 4
            svg.append("<text x=\"\(left + size + 42)\" y=\"\(top + size - t * size + 4)\">\(String(format: "%.3g", t * maximum))</text>")
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    /// White to dark red.
    private static func color(_ t: Double) -> String {
        let u = min(max(t, 0), 1)
        let r = Int(255 - 90 * u), g = Int(255 - 235 * u), b = Int(255 - 225 * u)
        return String(format: "#%02x%02x%02x", r, g, b)
    }
}
