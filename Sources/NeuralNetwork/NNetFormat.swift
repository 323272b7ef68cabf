import Foundation

/// The `.nnet` format of the verification community (Reluplex, ReluDiff,
/// NeuroDiff): `//` comments, a header (layer count, sizes, an unused flag,
/// input minimums, maximums, means and ranges with the output's last), then
/// each layer's weight rows and biases, one row a line, comma separated.
///
/// `.nnet` has ReLU hidden layers and a linear output layer and no output
/// activation. qrobust reads and writes two optional comment lines that other
/// tools ignore, so that a file can carry what the format cannot say:
/// `// qrobust-activations: identity,relu,identity` and `// qrobust-output: sigmoid`.
public enum NNetFormat {
    /// Parses `.nnet` text. `file` only names the source in errors.
    public static func parse(_ text: String, file: String? = nil) throws -> Network {
        do { return try parseLines(text) } catch let error as ModelError {
            throw file.map { error.inFile($0) } ?? error
        }
    }

    /// Whether C's `strtod` reads `.` as the decimal point, as in the C locale
    /// (qrobust never changes the locale; a program using the library might).
    static var strtodReadsDecimalPoint: Bool {
        guard let conventions = localeconv(), let point = conventions.pointee.decimal_point else { return false }
        return String(cString: point) == "."
    }

    /// A line of plain numbers read in one pass over its bytes with C's `strtod`
    /// (as `Double(_:)` reads them), without a string per field: ASCII only,
    /// fields separated by commas, a trailing comma allowed. Nil for anything
    /// else (an empty field, a word, a non-finite value, non-ASCII bytes), which
    /// the field-by-field reader then reads or reports. Half of reading ACAS
    /// Xu's weights was making a string of every number.
    static func plainNumbers(_ line: Substring) -> [Double]? {
        var copy = line
        return copy.withUTF8 { bytes -> [Double]? in
            guard !bytes.isEmpty, bytes.allSatisfy({ $0 < 0x80 && $0 != 0 }) else { return nil }
            return withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { buffer -> [Double]? in
                let text = buffer.baseAddress!
                for (i, byte) in bytes.enumerated() { text[i] = CChar(bitPattern: byte) }
                text[bytes.count] = 0
                func isSpace(_ c: CChar) -> Bool { UInt8(bitPattern: c).isASCIIWhitespace }
                var values: [Double] = [], at = text
                let end = text + bytes.count
                while true {
                    var next: UnsafeMutablePointer<CChar>?
                    let value = strtod(at, &next)
                    // No number here (an empty field, a word), or one that is not finite.
                    guard let stop = next, stop != at, value.isFinite else { return nil }
                    values.append(value)
                    at = stop
                    while at < end, isSpace(at.pointee) { at += 1 }
                    if at == end { return values }
                    guard at.pointee == 0x2c else { return nil }  // ","
                    at += 1
                    while at < end, isSpace(at.pointee) { at += 1 }
                    if at == end { return values }  // a trailing comma
                }
            }
        }
    }

    private static func parseLines(_ text: String) throws -> Network {
        var activations: [Activation]?
        var output = OutputKind.logits
        var lines: [(number: Int, text: Substring)] = []
        // Lines end in LF, CRLF (Windows; the CR is trimmed as whitespace) or
        // CR alone (classic Mac). Split as bytes: splitting Characters costs a
        // grapheme scan per byte, which dominated reading ACAS Xu's weights.
        let bytes = text.utf8
        let newline = bytes.contains(UInt8(ascii: "\n")) ? UInt8(ascii: "\n") : UInt8(ascii: "\r")
        for (index, bytesOfLine) in bytes.split(separator: newline, omittingEmptySubsequences: false).enumerated() {
            let line = Substring(bytesOfLine)
            let trimmed = line.trimmingWhitespace
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix("//") {
                let body = String(trimmed.dropFirst(2).trimmingWhitespace)
                if let value = directive("qrobust-activations:", in: body) {
                    activations = try value.split(separator: ",").map {
                        let name = $0.trimmingCharacters(in: .whitespaces)
                        guard let a = Activation(rawValue: name) else {
                            throw ModelError(place: "line \(index + 1)", problem: "unknown activation '\(name)' (relu or identity)")
                        }
                        return a
                    }
                } else if let value = directive("qrobust-output:", in: body) {
                    guard let kind = OutputKind(rawValue: value) else {
                        throw ModelError(place: "line \(index + 1)", problem: "unknown output kind '\(value)' (sigmoid, softmax or logits)")
                    }
                    output = kind
                }
                continue
            }
            lines.append((index + 1, trimmed))
        }
        var cursor = 0
        let fastNumbers = strtodReadsDecimalPoint
        func nextLine(_ what: String) throws -> (number: Int, values: [Double]) {
            guard cursor < lines.count else {
                throw ModelError(place: "end of file", problem: "the file ends before \(what)")
            }
            let line = lines[cursor]
            cursor += 1
            if fastNumbers, let values = Self.plainNumbers(line.text) { return (line.number, values) }
            let fields = line.text.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
                .map { Substring($0).trimmingWhitespace }
            let values = try fields.enumerated().compactMap { (i, field) -> Double? in
                if field.isEmpty && i == fields.count - 1 { return nil }  // trailing comma
                guard let v = Double(field) else {
                    throw ModelError(place: "line \(line.number)", problem: "'\(field)' is not a number (reading \(what))")
                }
                guard v.isFinite else {
                    throw ModelError(place: "line \(line.number)", problem: "\(field) is not a finite number (reading \(what))")
                }
                return v
            }
            return (line.number, values)
        }
        /// Reads a line of `count` numbers. Header lines may carry extra values
        /// (real ACAS Xu files list 7 minimums for 5 inputs; other readers ignore
        /// the rest, and so does this one); weight and bias rows must match exactly.
        func expect(_ count: Int, _ what: String, allowExtra: Bool = false) throws -> [Double] {
            let line = try nextLine(what)
            guard line.values.count == count || (allowExtra && line.values.count > count) else {
                throw ModelError(place: "line \(line.number)", problem: "expected \(count) numbers for \(what), found \(line.values.count)")
            }
            return Array(line.values.prefix(count))
        }
        func integer(_ v: Double, _ what: String, line: Int) throws -> Int {
            guard v >= 0, v <= 1_000_000, v == v.rounded() else {
                throw ModelError(place: "line \(line)", problem: "\(what) must be a whole number, found \(v)")
            }
            return Int(v)
        }

        let headerLine = cursor < lines.count ? lines[cursor].number : 0
        let header = try expect(4, "the header (layers, inputs, outputs, largest layer)", allowExtra: true)
        let layerCount = try integer(header[0], "the number of layers", line: headerLine)
        guard layerCount >= 1 else { throw ModelError(place: "line \(headerLine)", problem: "the number of layers must be at least 1") }
        let sizesLine = cursor < lines.count ? lines[cursor].number : 0
        let declaredInputs = try integer(header[1], "the number of inputs", line: headerLine)
        let declaredOutputs = try integer(header[2], "the number of outputs", line: headerLine)
        let sizes = try expect(layerCount + 1, "the layer sizes", allowExtra: true).map { try integer($0, "a layer size", line: sizesLine) }
        guard sizes[0] == declaredInputs, sizes[layerCount] == declaredOutputs else {
            throw ModelError(place: "line \(sizesLine)", problem: "layer sizes \(sizes) disagree with the header's \(declaredInputs) inputs and \(declaredOutputs) outputs")
        }
        guard sizes.allSatisfy({ $0 >= 1 }) else {
            throw ModelError(place: "line \(sizesLine)", problem: "every layer needs at least one neuron, found sizes \(sizes)")
        }
        _ = try nextLine("the symmetric flag")
        let inputs = sizes[0]
        let minimums = try expect(inputs, "the input minimums", allowExtra: true)
        let maximums = try expect(inputs, "the input maximums", allowExtra: true)
        let means = try expect(inputs + 1, "the means (inputs, then output)", allowExtra: true)
        let ranges = try expect(inputs + 1, "the ranges (inputs, then output)", allowExtra: true)
        if let activations, activations.count != layerCount {
            throw ModelError(place: "qrobust-activations", problem: "names \(activations.count) activations for \(layerCount) layers")
        }
        var layers: [DenseLayer] = []
        for l in 0..<layerCount {
            var weights: [[Double]] = []
            for k in 0..<sizes[l + 1] {
                weights.append(try expect(sizes[l], "weight row \(k) of layer \(l)"))
            }
            var biases: [Double] = []
            for k in 0..<sizes[l + 1] {
                biases.append(try expect(1, "bias \(k) of layer \(l)")[0])
            }
            let activation = activations?[l] ?? (l == layerCount - 1 ? .identity : .relu)
            layers.append(DenseLayer(weights: weights, biases: biases, activation: activation))
        }
        if cursor < lines.count {
            throw ModelError(place: "line \(lines[cursor].number)", problem: "unexpected data after the last layer's biases")
        }
        let normalization = InputNormalization(
            minimums: minimums, maximums: maximums,
            means: Array(means.prefix(inputs)), ranges: Array(ranges.prefix(inputs)),
            outputMean: means[inputs], outputRange: ranges[inputs])
        return try Network(inputSize: inputs, layers: layers, output: output, normalization: normalization)
    }

    private static func directive(_ key: String, in body: String) -> String? {
        guard body.hasPrefix(key) else { return nil }
        return body.dropFirst(key.count).trimmingCharacters(in: .whitespaces)
    }

    /// Renders a network as `.nnet` text. Numbers are written in Swift's
    /// shortest round-trip form, so reading the file back gives identical weights.
    public static func render(_ network: Network) -> String {
        let sizes = [network.inputSize] + network.layers.map(\.outputSize)
        let n = network.normalization ?? InputNormalization(
            minimums: Array(repeating: -Double.greatestFiniteMagnitude, count: network.inputSize),
            maximums: Array(repeating: Double.greatestFiniteMagnitude, count: network.inputSize),
            means: Array(repeating: 0, count: network.inputSize),
            ranges: Array(repeating: 1, count: network.inputSize))
        func row(_ values: [Double]) -> String { values.map { "\($0)" }.joined(separator: ",") + "," }
        /// .nnet has no infinity: an unbounded clamp is written as ±greatestFiniteMagnitude.
        func finite(_ values: [Double]) -> [Double] {
            values.map { $0.isInfinite ? ($0 < 0 ? -Double.greatestFiniteMagnitude : .greatestFiniteMagnitude) : $0 }
        }
        var out = "// Written by qrobust.\n"
        out += "// qrobust-activations: \(network.layers.map(\.activation.rawValue).joined(separator: ","))\n"
        out += "// qrobust-output: \(network.output.rawValue)\n"
        out += "\(network.layers.count),\(network.inputSize),\(network.outputSize),\(sizes.max()!),\n"
        out += sizes.map(String.init).joined(separator: ",") + ",\n0,\n"
        out += row(finite(n.minimums)) + "\n"
        out += row(finite(n.maximums)) + "\n"
        out += row(n.means + [n.outputMean]) + "\n"
        out += row(n.ranges + [n.outputRange]) + "\n"
        for layer in network.layers {
            for weights in layer.weights { out += row(weights) + "\n" }
            for bias in layer.biases { out += "\(bias),\n" }
        }
        return out
    }
}
