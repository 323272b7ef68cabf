import ExactArithmetic
import Foundation
import NeuralNetwork

/// A NumPy `.npy` array of inputs (format versions 1 to 3): C order, one or
/// two dimensions, little-endian floats (`<f4`, `<f8`) or integers (`|u1`,
/// `|i1`, `<i4`, `<i8`). Every value becomes the exact rational it stores.
/// A problem is one ``ModelError`` naming the byte offset or the header field.
struct NumpyArray {
    let rows: [InputTable.Row]

    init(_ data: Data) throws {
        let bytes = [UInt8](data)
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw ModelError(place: "byte 0", problem: "not a .npy file (no \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw ModelError(place: "byte 8", problem: "the header length is cut off") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw ModelError(place: "byte 6", problem: "unknown .npy format version \(major)")
        }
        guard headerStart + headerLength <= bytes.count else {
            throw ModelError(place: "byte \(headerStart)", problem: "the header is longer than the file")
        }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        func field(_ name: String) -> String? {
            guard let key = header.range(of: "'\(name)':") else { return nil }
            return String(header[key.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descrField = field("descr"), let quote = descrField.dropFirst().firstIndex(of: "'") else {
            throw ModelError(place: "header", problem: "no 'descr' field")
        }
        let descr = String(descrField[descrField.index(after: descrField.startIndex)..<quote])
        if let order = field("fortran_order"), order.hasPrefix("True") {
            throw ModelError(place: "header", problem: "Fortran-ordered arrays are not supported (save with np.ascontiguousarray)")
        }
        guard let shapeField = field("shape"), let open = shapeField.firstIndex(of: "("),
              let close = shapeField.firstIndex(of: ")"), open < close else {
            throw ModelError(place: "header", problem: "no 'shape' field")
        }
        let dimensions = shapeField[shapeField.index(after: open)..<close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { Int($0) }
        guard !dimensions.isEmpty, dimensions.count <= 2, dimensions.allSatisfy({ ($0 ?? -1) > 0 }) else {
            throw ModelError(place: "header", problem: "the shape must be (n,) or (rows, n) with positive sizes, found \(shapeField[open...close])")
        }
        let shape = dimensions.map { $0! }
        let (rowCount, width) = shape.count == 1 ? (1, shape[0]) : (shape[0], shape[1])
        let size: Int
        let read: (ArraySlice<UInt8>) -> Double
        func little<T: FixedWidthInteger>(_ slice: ArraySlice<UInt8>, _: T.Type) -> T {
            slice.reversed().reduce(T.zero) { $0 << 8 | T(truncatingIfNeeded: $1) }
        }
        switch descr {
        case "<f8": size = 8; read = { Double(bitPattern: little($0, UInt64.self)) }
        case "<f4": size = 4; read = { Double(Float(bitPattern: little($0, UInt32.self))) }
        case "|u1", "<u1": size = 1; read = { Double($0.first!) }
        case "|i1", "<i1": size = 1; read = { Double(Int8(bitPattern: $0.first!)) }
        case "<i4": size = 4; read = { Double(Int32(bitPattern: little($0, UInt32.self))) }
        case "<i8": size = 8; read = { Double(Int64(bitPattern: little($0, UInt64.self))) }
        default: throw ModelError(place: "header", problem: "the element type '\(descr)' is not supported (use float32, float64 or integers, little-endian)")
        }
        let (count, overflow) = rowCount.multipliedReportingOverflow(by: width)
        let start = headerStart + headerLength
        guard count <= InputTable.maximumValues else {
            throw ModelError(place: "header", problem: "\(rowCount) × \(width) values; at most \(InputTable.maximumValues) are read")
        }
        guard !overflow, count <= (bytes.count - start) / size, count * size == bytes.count - start else {
            throw ModelError(place: "byte \(start)", problem: "the data does not hold \(rowCount) × \(width) values of \(size) bytes")
        }
        var rows: [InputTable.Row] = []
        for r in 0..<rowCount {
            var input: [Rational] = [], written: [String] = []
            for c in 0..<width {
                let offset = start + (r * width + c) * size
                let value = read(bytes[offset..<(offset + size)])
                guard let exact = Rational(exactly: value) else {
                    throw ModelError(place: "row \(r + 1), value \(c + 1)", problem: "\(value) is not a finite number")
                }
                input.append(exact)
                written.append("\(value)")
            }
            rows.append(InputTable.Row(line: r + 1, input: input, label: nil, written: written))
        }
        self.rows = rows
    }
}
