import ExactArithmetic
import Foundation
import Testing
import NeuralNetwork
@testable import Queries

/// Files of inputs for batch mode, read exactly, and their errors.
@Suite("Input tables")
struct InputTableTests {
    static func write(_ text: String, _ name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qrobust-inputs-\(UUID().uuidString)-\(name)")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test("CSV with comments, a header, a label column by name, CRLF line ends and exact decimals")
    func csvWithHeader() throws {
        let path = try Self.write("# a comment\r\nx1,x2,label\r\n0.1,-1/3,1\r\n\r\n2, 0.5 ,0\r\n", "a.csv")
        let table = try InputTable(contentsOf: path, labelColumn: "label")
        #expect(table.rows.count == 2)
        #expect(table.rows[0].input == [Rational(1, 10), Rational(-1, 3)] && table.rows[0].label == 1 && table.rows[0].line == 3)
        #expect(table.rows[1].input == [Rational(2), Rational(1, 2)] && table.rows[1].label == 0 && table.rows[1].line == 5)
        #expect(table.rows[0].written == ["0.1", "-1/3"])
    }

    @Test("CSV without a header: the label column by position; a scale multiplies exactly")
    func csvByPosition() throws {
        let path = try Self.write("7,255,0\n3,51,128\n", "b.csv")
        let table = try InputTable(contentsOf: path, labelColumn: "1", scale: Rational(1, 255))
        #expect(table.rows.map(\.label) == [7, 3])
        #expect(table.rows[1].input == [Rational(51, 255), Rational(128, 255)])
    }

    @Test("JSON Lines: arrays or objects with input and label")
    func jsonLines() throws {
        let path = try Self.write("[0.5, -2]\n{\"input\": [\"1/3\", 4], \"label\": 2}\n", "c.jsonl")
        let table = try InputTable(contentsOf: path)
        #expect(table.rows[0].input == [Rational(1, 2), Rational(-2)] && table.rows[0].label == nil)
        #expect(table.rows[1].input == [Rational(1, 3), Rational(4)] && table.rows[1].label == 2)
    }

    @Test("bad files are one error naming the file, the line and the problem", arguments: [
        ("x,y\n1,2\n3\n", "d.csv", nil, "line 3: expected 2 columns, found 1"),
        ("1,2\n1,zz\n", "e.csv", nil, "line 2, column 2: 'zz' is not a number"),
        ("x,y\n1,2\n", "f.csv", "label", "no column named 'label'"),
        ("1,2\n", "g.csv", "5", "label column 5 is beyond the 2 columns"),
        ("1,2.5\n", "h.csv", "2", "the label '2.5' is not an integer class"),
        ("[1, true]\n", "i.jsonl", nil, "line 1: expected an array of numbers"),
        ("[1, \"x\"]\n", "i2.jsonl", nil, "line 1, value 2: 'x' is not a finite number"),
        ("# nothing\n", "j.csv", nil, "the file holds no input"),
        ("1,2\n", "k.txt", nil, "unknown input format"),
    ] as [(String, String, String?, String)])
    func badFiles(_ text: String, _ name: String, _ label: String?, _ expected: String) throws {
        let path = try Self.write(text, name)
        do {
            _ = try InputTable(contentsOf: path, labelColumn: label)
            Issue.record("accepted \(name)")
        } catch let error as ModelError {
            #expect(error.description.hasPrefix(path))
            #expect(error.description.contains(expected), "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    /// A .npy file (format 1.0) with a header for `descr` and `shape`, padded as NumPy pads it.
    static func npy(descr: String, shape: String, fortran: Bool = false, payload: [UInt8]) throws -> String {
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let length = header.utf8.count
        let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8) + payload
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qrobust-inputs-\(UUID().uuidString).npy")
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test(".npy: float32 rows and a float64 vector, each value exactly as stored")
    func numpy() throws {
        let floats: [Float] = [0.1, -2, 0.5, 3, 1e-3, 7]
        let payload32 = floats.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
        let table = try InputTable(contentsOf: try Self.npy(descr: "<f4", shape: "(2, 3)", payload: payload32))
        #expect(table.rows.count == 2)
        #expect(table.rows[0].input == [Rational(exactly: Double(Float(0.1)))!, Rational(-2), Rational(1, 2)])
        #expect(table.rows[1].input[1] == Rational(exactly: Double(Float(1e-3)))!)
        let doubles: [Double] = [0.25, -1.5]
        let payload64 = doubles.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
        let vector = try InputTable(contentsOf: try Self.npy(descr: "<f8", shape: "(2,)", payload: payload64))
        #expect(vector.rows.count == 1 && vector.rows[0].input == [Rational(1, 4), Rational(-3, 2)])
        let pixels = try InputTable(contentsOf: try Self.npy(descr: "|u1", shape: "(1, 3)", payload: [0, 51, 255]),
                                    scale: Rational(1, 255))
        #expect(pixels.rows[0].input == [.zero, Rational(1, 5), .one])
    }

    @Test(".npy errors: Fortran order, an unsupported type, data cut short, not a .npy file")
    func numpyErrors() throws {
        let cases: [(String, String)] = [
            (try Self.npy(descr: "<f8", shape: "(1, 1)", fortran: true, payload: Array(repeating: 0, count: 8)), "Fortran-ordered"),
            (try Self.npy(descr: "<c16", shape: "(1,)", payload: Array(repeating: 0, count: 16)), "'<c16' is not supported"),
            (try Self.npy(descr: "<f4", shape: "(2, 2)", payload: Array(repeating: 0, count: 12)), "does not hold 2 × 2 values"),
            (try Self.write("not numpy", "x.npy"), "not a .npy file"),
        ]
        for (path, expected) in cases {
            do {
                _ = try InputTable(contentsOf: path)
                Issue.record("accepted \(path)")
            } catch let error as ModelError {
                #expect(error.description.hasPrefix(path) && error.description.contains(expected), "\(error)")
            }
        }
    }
}
